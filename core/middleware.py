class VietnameseFirstMiddleware:
    """Vietnamese unless the user chose otherwise.

    Offices often run English-language browsers; Django's LocaleMiddleware would then show English
    (and 84.64 instead of 84,64). The language comes only from the user's explicit choice (the
    language cookie set by the switcher) or LANGUAGE_CODE, never from Accept-Language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
