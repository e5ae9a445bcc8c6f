"""The decisions taken where sources disagree (D1..D13 of the delivery-code reference) or say
nothing (LIB). Rows cite them by key; ``docs/code-tables.md`` prints them under the tables."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["DECISIONS"]

DECISIONS: Mapping[str, str] = MappingProxyType(
    {
        "D1": "ACCEPTD: the SMPP specification calls it final (a message 'manually read on behalf "
        "of the subscriber'), but Kannel buffers it, Jasmin and courier treat it as sent, SMS "
        "Central uses it for intermediate receipts. Decision: PENDING. A message that never gets "
        "a later receipt becomes a soft bounce (expired at operator) when the engine's pending "
        "timeout passes.",
        "D2": "UNKNOWN: Kannel fails it, courier keeps it pending, some SMSCs use it for buffered "
        "messages. Decision: a final SMPP UNKNOWN is a soft bounce (provider unknown failure, "
        "retryable); an UNKNOWN marked intermediate (esm_class 0x20) is PENDING; Vonage's "
        "'unknown' status, which carries no error, is PENDING until the pending timeout.",
        "D3": "EXPIRED: Brevo counts it as a soft bounce; Infobip flags some expiries permanent; "
        "courier treats Infobip EXPIRED as sent. Decision: soft bounce, expired at operator, "
        "retryable (the handset may be back).",
        "D4": "UNDELIV / REJECTD without a usable error: the specification says permanently "
        "undeliverable, but err codes are vendor-specific and Brevo files operator rejections "
        "as soft. Decision: soft bounce, provider unknown failure; a recognised error code "
        "(MAP 1/9/12/13, Vonage 3/4/14, ...) refines it, up to a hard bounce.",
        "D5": "Invalid number: Brevo lists it as soft, Voyado as hard; ESME_RINVDSTADR can also "
        "mean a routing or account problem. Decision: soft bounce, invalid number or country "
        "code, never retried (the product's reason list).",
        "D6": "Landline / SMS not provisioned: Brevo soft, Twilio 'do not retry', Infobip "
        "permanent. Decision: soft bounce, landline number, never retried.",
        "D7": "Call barred: Vonage err 4 says permanent; Infobip's MAP 13 is not permanent "
        "(often unpaid bills). Decision: hard bounce, blocked by recipient or operator, for both:"
        " the sender should stop sending; the escalation policy is not needed for it.",
        "D8": "Twilio 30004 / 30005: no Twilio text verified; classes follow the names (message "
        "blocked: hard, blocked; unknown destination handset: hard, number does not exist).",
        "D9": "Sender registration (unregistered sender ID, toll-free number, 10DLC): Brevo counts "
        "a hard bounce; Twilio and Infobip an account error. Decision: REJECTED_CONFIG, so no "
        "recipient is blocklisted for a sender-side problem. TableClassifier("
        "sender_registration_is_hard_bounce=True) reproduces Brevo's behaviour.",
        "D10": "Spam filtering: Brevo soft, Infobip 607 permanent, Telnyx both. Decision: soft "
        "bounce, spam filtered by operator, not retryable unchanged (change content or sender).",
        "D11": "Opt-out vs blocking: Vonage err 9 is an opt-out in the HTTP docs (UNSUBSCRIBED) "
        "but a barred number in the SMPP help; Infobip DND and blocklist codes block rather "
        "than opt out. Decision: Vonage 9 is a hard bounce, opted out earlier (see "
        "OPTED-OUT-EARLIER); Infobip DND/blocklisted/suspended hard bounces, blocked by "
        "recipient or operator.",
        "D12": "Vonage err 11 Unroutable: 'contact support' (HTTP) vs 'temporary condition' "
        "(SMPP). Decision: soft bounce, provider unknown failure (a platform fault), retryable.",
        "D13": "Kannel 2 and 16: courier retries both (errored); the names suggest final "
        "failures. Decision: soft bounce, provider unknown failure, retryable; the %A receipt "
        "text refines it when given.",
        "UNKNOWN": "A status word no table knows (a made-up 'bogus', an event Brevo adds later), "
        "with no error code or only a provider's own: PENDING, marked unknown "
        "(Classification.unknown) and logged as a warning. Never a final, retryable platform "
        "fault: the pending timeout expires it like any silent message, and an override can "
        "teach the word (issue 16).",
        "SMPP-NAMES": "stat:DELIVERED, UNDELIVERABLE, ACCEPTED, REJECTED spelt out: not the "
        "SMPP 3.4 Appendix B words, but public SMSC simulators write them, and they are the "
        "message_state names the TLV path already reads. Each means what its seven-letter "
        "word means (DELIVRD, UNDELIV and REJECTD under D4, ACCEPTD under D1).",
        "HEX-ERR": "An err: field of three hexadecimal characters with a letter A-F (00B) is "
        "hexadecimal and decoded (00B is 11); digits only are decimal, as Kannel reads them "
        "(sscanf %d). The text as written is kept in details['err'].",
        "TWILIO-21612": "Twilio 21612 is now 'Message cannot be sent with the current "
        "combination of To and/or From parameters': the sender's number cannot reach that "
        "destination. Sender set-up: REJECTED_CONFIG, not a recipient bounce.",
        "TWILIO-CANCELED": "Twilio 'canceled' is a scheduled message the account cancelled "
        "(Twilio error 30409's page). Never sent, not a bounce, not avoidable by the sender, "
        "not a platform fault, never retried. No 'cancelled' outcome exists yet: the row stays "
        "REJECTED_CONFIG with avoidable_by_sender False until the engine can cancel a message "
        "that a provider holds.",
        "BREVO-FIELDS": "Brevo's event-report API writes the bounce reason in 'reason'; its SMS "
        "webhooks write 'description' and 'bounce_type', and 'tag' as a list. The first of "
        "'reason', 'description' is the reason text the patterns read; 'bounce_type' and the "
        "tags (joined by ', ') are kept in details.",
        "OPTED-OUT-EARLIER": "A provider refusing a number because its owner opted out before "
        "(Twilio 21610 'Attempt to send to unsubscribed recipient', 63014 'blocked the sender "
        "... or opted out or otherwise removed consent'; Vonage 9 and 53 Consent Filter; Infobip "
        "603 'Content blocked by user opt-out (MO: STOP)'): not an unsubscribe of this "
        "campaign, which Brevo counts only for recipients who unsubscribed after receiving it "
        "(its campaign report page, 'Désinscriptions'). Decision: a hard bounce, reason "
        "opted_out_earlier, the number blocklisted; nothing was delivered (issue 15).",
        "LIB": "No source gives a class: the library's reading of the name. Twilio "
        "'partially_delivered' stays PENDING until a final "
        "status; Brevo 'blocked', 'rejected', 'skip' are not sent (REJECTED_CONFIG); a Brevo "
        "hardBounce with no recognised reason is 'number does not exist'; Vonage 50, 51, 54 are "
        "filters on the sender side (REJECTED_CONFIG); Infobip 628 is temporary whatever its "
        "permanent flag says.",
    }
)
