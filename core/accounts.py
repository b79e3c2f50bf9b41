"""Account pages that differ from django.contrib.auth's: the password reset, rate limited."""

from __future__ import annotations

import hashlib

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.utils.translation import gettext as _

from .ratelimit import over_limit


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset form, refused (429, nothing sent) past PASSWORD_RESET_LIMIT requests an hour
    from one address or for one e-mail address: the form sends mail to anyone's inbox, and a
    script could otherwise flood a user or the mail server. The same answer whether or not the
    address has an account, so the limit tells nothing about who has one."""

    template_name = "registration/password_reset.html"

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        ip = get_client_ip_address(self.request) or "unknown"
        window = settings.PASSWORD_RESET_WINDOW_SECONDS
        by_ip = over_limit(
            f"password-reset:ip:{ip}",
            limit=settings.PASSWORD_RESET_LIMIT_PER_IP,
            window_seconds=window,
        )
        by_email = over_limit(
            "password-reset:email:" + hashlib.sha256(email.encode()).hexdigest(),
            limit=settings.PASSWORD_RESET_LIMIT_PER_EMAIL,
            window_seconds=window,
        )
        if by_ip or by_email:
            form.add_error(
                None,
                _(
                    "Đã có quá nhiều yêu cầu đặt lại mật khẩu từ máy này hoặc cho địa chỉ này. "
                    "Hãy thử lại sau %(minutes)s phút."
                )
                % {"minutes": window // 60},
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)
