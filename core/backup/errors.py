"""The one error of the backup and restore: its message is translated and says what to do."""


class BackupError(Exception):
    pass
