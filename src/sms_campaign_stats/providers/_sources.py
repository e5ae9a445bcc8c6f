"""The sources the code tables cite: a tag per source, as in the team's delivery-code reference.

Every table row names its source by one of these tags; ``docs/code-tables.md`` (generated) lists
them with their addresses, so a reader can check any row.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["SOURCES"]

#: Tag -> where it is. Repository sources give the commit the citation refers to.
SOURCES: Mapping[str, str] = MappingProxyType(
    {
        "C-JAS": "jookies/jasmin @ 0aac58e4: jasmin/protocols/smpp/operations.py, "
        "jasmin/managers/configs.py, tests/protocols/smpp/test_operations.py",
        "C-SMPPLIB": "python-smpplib/python-smpplib @ 1add0a01: smpplib/consts.py",
        "C-RUSMPP": "JadKHaddad/Rusmpp @ aae89995: rusmpp-core/src/values/message_state.rs, "
        "network_error_code.rs (SMPP 5.0 wording)",
        "C-SMPP5": "komalengr/SMPP5: smpp5-lib/constants/message_state.py (SMPP v5.0 4.7.15)",
        "C-KAN": "pruiz/kannel @ cdbcfc12: gw/dlr.h, gw/smsc/smsc_smpp.c, doc/userguide",
        "C-COURIER": "nyaruka/courier @ 350e9350: handlers/twiml, handlers/nexmo, "
        "handlers/kannel, handlers/infobip, handlers/twiml/errors.json",
        "C-JSS7": "RestComm/jss7 @ 02ad8471: MAPErrorCode.java (3GPP TS 29.002 MAP errors)",
        "C-SIGTRAN": "biddyweb/sigtran: SmEnumeratedDeliveryFailureCause.java",
        "C-IBYML": "api-evangelist/infobip @ faea773e: errors/infobip-error-codes.yml "
        "(harvested from Infobip's response codes page)",
        "C-BREVO": "getbrevo/brevo-php @ be204dab: docs/Model/GetSmsEventReportEvents.md, "
        "lib/Model/GetSmsEventReportEvents.php",
        "C-VONAGEDOC": "Nexmo/station: _documentation/en/messaging/sms/guides/delivery-receipts.md",
        "W-SMSPORTAL": "https://docs.smsportal.com/docs/smpp-usage",
        "W-SMSCENTRAL": "https://www.smscentral.com.au/sms-api/smpp/receive-dlrs/",
        "W-HUAWEI": "https://support.huaweicloud.com/api-iotcom/iotcom_05_0304.html",
        "W-CBF": "http://www.cardboardfish.com/support/bin/view/Main/"
        "WhatIsTheFormatOfSMPPDeliveryReceipts",
        "W-NEXMO-SMPP": "https://help.nexmo.com/hc/en-us/articles/215468998",
        "W-TW-STATUS": "https://support.twilio.com/hc/en-us/articles/"
        "223134347-What-do-the-SMS-statuses-mean-",
        "W-TW-CB": "https://www.twilio.com/docs/messaging/guides/"
        "outbound-message-status-in-status-callbacks",
        "W-TW-ENUM": "https://docs.rs/crate/twilio-rust-openapi/latest/source/docs/"
        "MessageEnumStatus.md",
        "W-TW-ERR": "https://www.twilio.com/docs/api/errors (30003, 30006, 21635, 30024, 63014)",
        "W-TW-30409": "Twilio error 30409, This message cannot be canceled ('Twilio lets you "
        "cancel a scheduled message by updating the Message resource and setting Status to "
        "canceled'): https://www.twilio.com/docs/api/errors/30409",
        "W-TW-TESTCRED": "Twilio, Test credentials: To +15005550002 gives 21612, 'Message "
        "cannot be sent with the current combination of To and/or From parameters': "
        "https://www.twilio.com/docs/iam/test-credentials; "
        "https://www.twilio.com/docs/api/errors/21612",
        "W-TW-WEBHOOK": "Twilio, Messaging webhook request (incoming message parameters: "
        "MessageSid, From, To, Body, NumSegments, NumMedia): "
        "https://www.twilio.com/docs/messaging/guides/webhook-request",
        "W-TW-SIG": "Twilio, Webhooks security (X-Twilio-Signature, HMAC-SHA1 of the URL and "
        "the sorted parameters, bodySHA256): https://www.twilio.com/docs/usage/webhooks/"
        "webhooks-security; twilio/twilio-python @ 306691e7: twilio/request_validator.py, "
        "tests/unit/test_request_validator.py",
        "W-VN-INBOUND": "Vonage, Inbound SMS (type, to, msisdn, messageId, message-timestamp, "
        "timestamp, nonce, text, keyword, concat, concat-ref, concat-total, concat-part): "
        "https://developer.vonage.com/messaging/sms/guides/inbound-sms",
        "W-VN-SIG": "Vonage, Signing messages (sig, timestamp, md5hash, md5, sha1, sha256, "
        "sha512): https://developer.vonage.com/en/getting-started/concepts/signing-messages; "
        "Vonage/vonage-python-sdk @ b308cb1e: http_client/src/vonage_http_client/auth.py "
        "(sign_params, check_signature); @ 2b8d988: src/vonage/client.py, "
        "tests/test_signature.py (md5hash and the HMAC methods)",
        "W-IB-INBOUND": "Infobip, Receive inbound SMS messages webhook (results: messageId, "
        "from, to, text, cleanText, keyword, receivedAt, smsCount): https://www.infobip.com/"
        "docs/api/channels/sms/inbound-sms/receive-inbound-sms-messages",
        "C-KAN-SERVICE": "pruiz/kannel @ cdbcfc12: doc/userguide/userguide.xml, the "
        "sms-service escape codes (%p sender, %P receiver, %q like %p with 00 made +, %a the "
        "text, %I the SMS ID of the internal message structure, %T the time as a Unix "
        "timestamp)",
        "W-TW-RAWDLR": "https://twilio.com/en-us/changelog/"
        "addition-of-rawdlrdonedate-to-delivered-and-undelivered-status-webhooks",
        "W-VN-OPTOUT": "https://developer.vonage.com/en/opt-out-assist/guides/"
        "messaging-opted-out-numbers",
        "W-BR-BOUNCE": "https://help.brevo.com/hc/en-us/articles/"
        "12355366391442-What-is-a-soft-bounce-and-a-hard-bounce-in-SMS",
        "W-BR-WH": "Brevo developer docs, Transactional webhooks (datetime parameters: "
        "'ts_epoch, ts_event: UTC Timezone; date: CET/CEST Timezone'; the SMS events): "
        "https://developers.brevo.com/docs/transactional-webhooks",
        "W-BR-SCHEMA": "https://schemas.apis.io/schemas/brevo/brevo-smseventreport/",
        "W-IB": "https://www.infobip.com/docs/developer-resources/api-fundamentals/"
        "message-status-codes",
        "W-IB-CODES": "Infobip, Response status and error codes, general status codes, group "
        "REJECTED (ids 6, 11, 13, 17, 18, 23, 24, 25, 51): https://www.infobip.com/docs/"
        "essentials/api-essentials/response-status-and-error-codes",
        "W-VOYADO": "https://explore.voyado.com/hc/en-gb/articles/"
        "14412446945948-SMS-bounces-and-unsubscriptions",
        "L-FCC-REVOKE": "47 CFR 64.1200(a)(10) (FCC 24-24, Strengthening the Ability of "
        "Consumers To Stop Robocalls; in force 2025-04-11): replies 'stop, quit, end, revoke, "
        "opt out, cancel, unsubscribe' revoke consent: https://www.ecfr.gov/current/title-47/"
        "chapter-I/subchapter-B/part-64/subpart-L/section-64.1200; rule text summarised at "
        "https://compliancepoint.com/marketing-compliance/"
        "fccs-consent-revocation-rule-language-analysis-and-compliance-insights",
        "W-TW-OPTOUT": "Twilio support, Twilio support for opt-out keywords (SMS STOP "
        "filtering): https://support.twilio.com/hc/en-us/articles/"
        "223134027-Twilio-support-for-opt-out-keywords-SMS-STOP-filtering",
        "LIB": "this library's decision, explained in docs/code-tables.md",
    }
)
