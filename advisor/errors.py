"""The one error type the library raises for problems a user can fix."""


class AdvisorError(Exception):
    """A problem with the input or the environment, worded for the user.

    ``exit_code`` follows the CLI convention: 2 for usage and connection errors.
    """

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code
