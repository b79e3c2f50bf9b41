from .permissions import Action, can
from .roles import primary_role


def roles(request):
    # A request refused before the middleware ran (a Host that ALLOWED_HOSTS does not accept) has no
    # user; its 400 page must still render, not turn into a 500.
    user = getattr(request, "user", None)
    if user is None:
        return {"current_role": None, "may": {}}
    role = primary_role(user)
    return {
        "current_role": role,
        "may": {action.value: can(user, action) for action in Action} if role else {},
    }
