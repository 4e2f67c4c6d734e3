"""Amazon SES: sends a rendered message (chalicelib.messages) as raw MIME, so that both
its parts arrive as rendered, and says whether SES took it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_ses import SESClient

from email.message import EmailMessage

from chalicelib.domain.errors import EmailRejected


class Mailer:
    """Sends through SES as a raw MIME message, so both parts arrive as rendered."""

    def __init__(self, ses: SESClient):
        self._ses = ses

    def send(self, message: EmailMessage) -> str:
        """The SES message id. Raises EmailRejected when SES refused the message; any
        other failure (a timeout) leaves it unknown whether the email went out."""
        from botocore.exceptions import ClientError

        recipients = [a.strip() for a in message["To"].split(",")]
        try:
            response = self._ses.send_raw_email(
                Source=message["From"],
                Destinations=recipients,
                RawMessage={"Data": message.as_bytes()},
            )
        except ClientError as error:
            raise EmailRejected(str(error)) from error
        return str(response["MessageId"])
