"""The two kinds of failure the program knows.

``KnownError`` is the environment's fault (a corrupt clip, a project written by a newer version, an
unwritable folder): the message is shown to the user as it is and the work goes on where it can.
Anything else is a bug and is allowed to fail loudly with its traceback.
"""


class KnownError(Exception):
    """A failure caused by the user's files or environment, with a message fit to show them."""


class ProjectError(KnownError):
    """The project itself cannot be opened or written."""


class MediaError(KnownError):
    """A media file cannot be read; the message is a one-line reason."""
