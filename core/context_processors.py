from .permissions import Action, can
from .roles import primary_role


def roles(request):
    user = request.user
    role = primary_role(user)
    return {
        "current_role": role,
        "may": {action.value: can(user, action) for action in Action} if role else {},
    }
