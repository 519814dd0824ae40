"""One exception type per kind of failure, so the command line can turn each into a sentence and an exit code."""


class LiveError(Exception):
    """Base of every error the program explains to the user instead of showing a traceback."""

    exit_code = 1


class UsageError(LiveError):
    """A command-line value is malformed or out of range (exit code 2, like argparse)."""

    exit_code = 2


class SourceError(LiveError):
    """A frame source cannot be opened or read."""


class ModelError(LiveError):
    """A model name, file or its weights cannot be loaded."""


class LayerError(UsageError):
    """The requested layer does not exist or does not give a 4-D feature map."""


class OutputError(LiveError):
    """A recording, snapshot or mosaic cannot be written."""


class SetupError(LiveError):
    """This machine or this Python lacks what the program needs: a package of requirements.txt, a system library
    under one, a processor with the instructions TensorFlow was built for."""
