"""The demo province: names, the framework and the people. Plain data, no ORM.

The province is invented ("tỉnh Minh Sơn"); unit names follow the real pattern of a Vietnamese
province. The framework follows the eight components of the 2022 method (shared/domain.md) with the
demo's own allocation of points: the official per-component maxima are in the decisions' appendices
and every real province loads its own.
"""

from decimal import Decimal as D

PROVINCE = "Minh Sơn"
YEARS = (2022, 2023, 2024)

DEPARTMENTS = [
    ("so-noi-vu", "Sở Nội vụ"),
    ("so-tu-phap", "Sở Tư pháp"),
    ("so-ke-hoach-dau-tu", "Sở Kế hoạch và Đầu tư"),
    ("so-tai-chinh", "Sở Tài chính"),
    ("so-cong-thuong", "Sở Công Thương"),
    ("so-nong-nghiep", "Sở Nông nghiệp và Phát triển nông thôn"),
    ("so-giao-thong", "Sở Giao thông vận tải"),
    ("so-xay-dung", "Sở Xây dựng"),
    ("so-tai-nguyen", "Sở Tài nguyên và Môi trường"),
    ("so-thong-tin", "Sở Thông tin và Truyền thông"),
    ("so-lao-dong", "Sở Lao động - Thương binh và Xã hội"),
    ("so-van-hoa", "Sở Văn hóa, Thể thao và Du lịch"),
    ("so-khoa-hoc", "Sở Khoa học và Công nghệ"),
    ("so-giao-duc", "Sở Giáo dục và Đào tạo"),
    ("so-y-te", "Sở Y tế"),
    ("thanh-tra-tinh", "Thanh tra tỉnh"),
    ("van-phong-ubnd", "Văn phòng UBND tỉnh"),
    ("ban-dan-toc", "Ban Dân tộc"),
    ("ban-quan-ly-kcn", "Ban Quản lý các khu công nghiệp"),
    ("so-ngoai-vu", "Sở Ngoại vụ"),
]

# In the demo, Sở Kế hoạch và Đầu tư merges into Sở Tài chính from 2024 (the real merger came in
# 2025): the new Sở Tài chính lists both as predecessors, so its trend line follows them.
MERGER = {
    "year": 2024,
    "code": "so-tai-chinh-2024",
    "name": "Sở Tài chính",
    "predecessors": ["so-tai-chinh", "so-ke-hoach-dau-tu"],
}

DISTRICTS = [
    (
        "tp-minh-son",
        "Thành phố Minh Sơn",
        "phường",
        ["Quang Trung", "Lê Lợi", "Trần Hưng Đạo", "Hòa Bình", "Tân Tiến"],
    ),
    (
        "tx-dong-trieu",
        "Thị xã Đông Triều",
        "phường",
        ["Đông Hòa", "Mạo Khê", "Hưng Đạo", "Xuân Sơn"],
    ),
    ("huyen-an-lac", "Huyện An Lạc", "xã", ["An Lạc", "An Hòa", "An Thịnh", "Phú Xuân"]),
    (
        "huyen-binh-son",
        "Huyện Bình Sơn",
        "xã",
        ["Bình Minh", "Bình Thạnh", "Bình Khương", "Bình Trị"],
    ),
    ("huyen-cam-thuy", "Huyện Cẩm Thủy", "xã", ["Cẩm Bình", "Cẩm Tú", "Cẩm Phong", "Cẩm Long"]),
    ("huyen-dai-tu", "Huyện Đại Từ", "xã", ["Đại Đồng", "Đại Phú", "Ký Phú", "Hùng Sơn"]),
    ("huyen-hai-hau", "Huyện Hải Hậu", "xã", ["Hải Minh", "Hải Đông", "Hải Tây", "Hải Lộc"]),
    ("huyen-kim-boi", "Huyện Kim Bôi", "xã", ["Kim Bình", "Kim Truy", "Nuông Dăm", "Hợp Tiến"]),
    (
        "huyen-luong-son",
        "Huyện Lương Sơn",
        "xã",
        ["Lâm Sơn", "Hòa Sơn", "Nhuận Trạch", "Cao Dương"],
    ),
    ("huyen-my-duc", "Huyện Mỹ Đức", "xã", ["Hương Sơn", "Phù Lưu Tế", "An Phú", "Đốc Tín"]),
    ("huyen-tan-ky", "Huyện Tân Kỳ", "xã", ["Tân An", "Tân Hợp", "Nghĩa Đồng", "Kỳ Sơn"]),
    (
        "huyen-yen-thanh",
        "Huyện Yên Thành",
        "xã",
        ["Yên Hợp", "Bảo Thành", "Công Thành", "Đô Thành"],
    ),
]

GROUPS = [
    ("khoi-so", "Khối sở, ban, ngành", "department", 1),
    ("khoi-huyen", "Khối UBND huyện, thị xã, thành phố", "district", 2),
    ("khoi-xa", "Khối UBND xã, phường, thị trấn", "commune", 3),
]

# (code, name, max, method, extra) — a tuple with children has them as its last element.
# method: entered | yes_no | bands | proportional | survey
_B_ON_TIME = [{"min": 100, "points": 4}, {"min": 95, "points": 2}]
_B_PLAN = [{"min": 100, "points": 2}, {"min": 80, "points": 1}]
_B_ONLINE = [{"min": 80, "points": 3}, {"min": 50, "points": 2}, {"min": 30, "points": 1}]

FRAMEWORK = [
    (
        "1",
        "Công tác chỉ đạo, điều hành CCHC",
        D(13),
        [
            (
                "1.1",
                "Kế hoạch CCHC năm",
                D(4),
                [
                    ("1.1.1", "Ban hành kế hoạch CCHC năm đúng thời hạn", D(1), "yes_no"),
                    ("1.1.2", "Xác định đầy đủ nhiệm vụ CCHC và bố trí kinh phí", D(1), "yes_no"),
                    ("1.1.3", "Mức độ thực hiện kế hoạch CCHC (%)", D(2), "bands", _B_PLAN),
                ],
            ),
            (
                "1.2",
                "Báo cáo CCHC",
                D(2),
                [
                    ("1.2.1", "Báo cáo gửi đúng thời gian (quý, 6 tháng, năm)", D(1), "yes_no"),
                    ("1.2.2", "Báo cáo đủ nội dung theo hướng dẫn", D(1), "yes_no"),
                ],
            ),
            (
                "1.3",
                "Kiểm tra công tác CCHC",
                D(3),
                [
                    ("1.3.1", "Ban hành kế hoạch kiểm tra CCHC", D(1), "yes_no"),
                    ("1.3.2", "Tỷ lệ đơn vị trực thuộc được kiểm tra (%)", D(1), "proportional"),
                    ("1.3.3", "Xử lý các vấn đề phát hiện qua kiểm tra", D(1), "entered"),
                ],
            ),
            ("1.4", "Công tác thông tin, tuyên truyền CCHC", D(2), "entered"),
            ("1.5", "Sáng kiến, giải pháp mới trong CCHC", D(2), "entered"),
        ],
    ),
    (
        "2",
        "Cải cách thể chế",
        D(10),
        [
            (
                "2.1",
                "Xây dựng và tổ chức thực hiện văn bản QPPL",
                D(4),
                [
                    ("2.1.1", "Thực hiện kế hoạch xây dựng văn bản QPPL", D(2), "entered"),
                    ("2.1.2", "Lấy ý kiến, thẩm định văn bản đúng quy định", D(2), "entered"),
                ],
            ),
            ("2.2", "Rà soát, hệ thống hóa văn bản QPPL", D(3), "entered"),
            ("2.3", "Theo dõi thi hành pháp luật, kiểm tra và xử lý văn bản", D(3), "entered"),
        ],
    ),
    (
        "3",
        "Cải cách thủ tục hành chính và thực hiện cơ chế một cửa, một cửa liên thông",
        D(17),
        [
            (
                "3.1",
                "Công bố, công khai thủ tục hành chính",
                D(4),
                [
                    ("3.1.1", "Công bố thủ tục hành chính kịp thời", D(2), "yes_no"),
                    ("3.1.2", "Công khai đầy đủ trên Cổng dịch vụ công", D(2), "entered"),
                ],
            ),
            (
                "3.2",
                "Kết quả giải quyết hồ sơ thủ tục hành chính",
                D(6),
                [
                    ("3.2.1", "Tỷ lệ hồ sơ giải quyết đúng hạn (%)", D(4), "bands", _B_ON_TIME),
                    ("3.2.2", "Xin lỗi người dân, tổ chức khi giải quyết trễ hẹn", D(2), "yes_no"),
                ],
            ),
            ("3.3", "Rà soát, đơn giản hóa thủ tục hành chính", D(3), "entered"),
            ("3.4", "Tiếp nhận, xử lý phản ánh, kiến nghị", D(2), "entered"),
            ("3.5", "Thực hiện cơ chế một cửa, một cửa liên thông", D(2), "entered"),
        ],
    ),
    (
        "4",
        "Cải cách tổ chức bộ máy hành chính nhà nước",
        D(10),
        [
            ("4.1", "Thực hiện quy định về tổ chức bộ máy", D(4), "entered"),
            ("4.2", "Thực hiện cơ cấu số lượng lãnh đạo theo quy định", D(3), "yes_no"),
            ("4.3", "Thực hiện phân cấp, ủy quyền", D(3), "entered"),
        ],
    ),
    (
        "5",
        "Cải cách chế độ công vụ",
        D(12),
        [
            ("5.1", "Vị trí việc làm và sử dụng biên chế", D(4), "entered"),
            ("5.2", "Tuyển dụng, bổ nhiệm đúng quy định", D(3), "entered"),
            ("5.3", "Tỷ lệ công chức được đào tạo, bồi dưỡng (%)", D(2), "proportional"),
            ("5.4", "Chấp hành kỷ luật, kỷ cương hành chính", D(3), "entered"),
        ],
    ),
    (
        "6",
        "Cải cách tài chính công",
        D(8),
        [
            ("6.1", "Quản lý, sử dụng ngân sách, tài sản công", D(3), "entered"),
            ("6.2", "Thực hiện kiến nghị sau thanh tra, kiểm toán", D(3), "yes_no"),
            ("6.3", "Cơ chế tự chủ của đơn vị sự nghiệp công lập", D(2), "entered"),
        ],
    ),
    (
        "7",
        "Xây dựng và phát triển Chính quyền điện tử, Chính quyền số",
        D(15),
        [
            (
                "7.1",
                "Ứng dụng CNTT trong quản lý văn bản",
                D(4),
                [
                    ("7.1.1", "Tỷ lệ văn bản trao đổi dưới dạng điện tử (%)", D(2), "proportional"),
                    ("7.1.2", "Sử dụng chữ ký số", D(2), "entered"),
                ],
            ),
            (
                "7.2",
                "Cung cấp dịch vụ công trực tuyến",
                D(5),
                [
                    ("7.2.1", "Tỷ lệ hồ sơ trực tuyến toàn trình (%)", D(3), "bands", _B_ONLINE),
                    ("7.2.2", "Số hóa hồ sơ, kết quả giải quyết TTHC", D(2), "entered"),
                ],
            ),
            ("7.3", "Áp dụng Hệ thống quản lý chất lượng ISO 9001", D(2), "yes_no"),
            ("7.4", "Bảo đảm an toàn thông tin mạng", D(2), "entered"),
            ("7.5", "Hạ tầng và nhân lực công nghệ thông tin", D(2), "entered"),
        ],
    ),
    (
        "8",
        "Tác động của CCHC đến người dân, tổ chức và phát triển kinh tế - xã hội",
        D(15),
        [
            ("8.1", "Mức độ hài lòng của người dân, tổ chức (SIPAS)", D(8), "survey"),
            (
                "8.2",
                "Đánh giá của lãnh đạo, công chức về công tác CCHC (điều tra xã hội học)",
                D(4),
                "survey",
            ),
            (
                "8.3",
                "Thực hiện các chỉ tiêu phát triển kinh tế - xã hội được giao",
                D(3),
                "entered",
            ),
        ],
    ),
]

BANDS = [("A", D(90)), ("B", D(80)), ("C", D(70)), ("D", D(0))]

DEDUCTION_REASONS = [
    ("bao-cao-tre-han", "Báo cáo gửi trễ hạn"),
    ("thieu-tai-lieu", "Thiếu tài liệu kiểm chứng"),
    ("khong-dat-chi-tieu", "Không đạt chỉ tiêu kế hoạch"),
    ("ho-so-tre-han", "Còn hồ sơ giải quyết trễ hạn"),
    ("chua-cong-khai", "Chưa công khai đầy đủ theo quy định"),
    ("noi-dung-thieu", "Nội dung chưa đầy đủ theo hướng dẫn"),
    ("chua-xin-loi", "Chưa thực hiện xin lỗi khi trễ hẹn"),
    ("vi-pham-ky-luat", "Có cán bộ vi phạm kỷ luật, kỷ cương hành chính"),
]

# The appraiser's notes, each written for its reason (a note under another reason would read as
# nonsense to any civil servant shown the demo).
DEDUCTION_NOTES = {
    "bao-cao-tre-han": [
        "Báo cáo quý III gửi chậm 10 ngày.",
        "Báo cáo CCHC 6 tháng gửi sau thời hạn 5 ngày.",
        "Báo cáo năm gửi sau ngày 15/12.",
    ],
    "thieu-tai-lieu": [
        "Không cung cấp được văn bản chứng minh.",
        "Thiếu quyết định ban hành kế hoạch kèm theo.",
        "Tài liệu kiểm chứng không có chữ ký, đóng dấu.",
    ],
    "khong-dat-chi-tieu": [
        "Tỷ lệ văn bản điện tử chưa đạt chỉ tiêu của tỉnh.",
        "Hoàn thành 8/10 nhiệm vụ của kế hoạch CCHC năm.",
        "Tỷ lệ hồ sơ trực tuyến toàn trình đạt 35%, chỉ tiêu 50%.",
    ],
    "ho-so-tre-han": [
        "Còn 12 hồ sơ giải quyết quá hạn trong năm.",
        "Còn 3 hồ sơ đất đai giải quyết quá hạn.",
        "Tỷ lệ hồ sơ đúng hạn đạt 97,5%.",
    ],
    "chua-cong-khai": [
        "Một số thủ tục chưa niêm yết tại Bộ phận một cửa.",
        "Chưa công khai kết quả giải quyết hồ sơ trên cổng thông tin điện tử.",
        "Chưa cập nhật danh mục thủ tục hành chính mới công bố.",
    ],
    "noi-dung-thieu": [
        "Kế hoạch chưa xác định kết quả đầu ra và thời hạn hoàn thành.",
        "Báo cáo thiếu số liệu về kiểm soát thủ tục hành chính.",
        "Chưa tổ chức kiểm tra theo kế hoạch tại 2 đơn vị trực thuộc.",
    ],
    "chua-xin-loi": [
        "Có 4 hồ sơ trễ hẹn chưa gửi văn bản xin lỗi người dân.",
        "Văn bản xin lỗi gửi sau ngày hẹn trả kết quả.",
    ],
    "vi-pham-ky-luat": [
        "Có 01 công chức bị xử lý kỷ luật trong năm.",
        "Có 01 viên chức bị khiển trách do vi phạm giờ giấc làm việc.",
    ],
}

# One user per role; passwords are for the demo only and are listed in README.md.
USERS = [
    ("quantri", "Quản trị hệ thống", "admin", "quantri@2024", None),
    ("canbo.snv", "Nguyễn Thị Lan", "interior_staff", "canbo@2024", None),
    ("lanhdao", "Trần Văn Minh", "leadership", "lanhdao@2024", None),
    ("thutruong.stp", "Lê Văn Hùng", "unit_head", "thutruong@2024", "so-tu-phap"),
    ("chutich.anlac", "Phạm Thị Hoa", "unit_head", "thutruong@2024", "huyen-an-lac"),
]
