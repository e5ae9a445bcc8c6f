"""The bounce classifier contract as tests: ``ClassifierConformance``.

Subclass it in a pytest module and provide a ``classifier`` fixture (requires pytest and
hypothesis)::

    import pytest
    from sms_campaign_stats.testing import ClassifierConformance

    class TestMyClassifier(ClassifierConformance):
        @pytest.fixture
        def classifier(self):
            return my_classifier

The classifier is given reports shaped like every provider's (each status word and error code
of the code tables, in each provider's vocabulary, and texts no table knows) and must answer
a ``Classification`` or ``None``, never raise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from sms_campaign_stats.bounces import CODE_TABLES, BounceClassifier, Classification
from sms_campaign_stats.providers import DeliveryReport, ErrorCode, ErrorNamespace
from sms_campaign_stats.testing._properties import PropertySuite

if TYPE_CHECKING:
    from hypothesis import strategies as st

__all__ = ["PROVIDER_SHAPES", "ClassifierConformance", "answer", "table_reports"]

UTC = timezone.utc
_NS = ErrorNamespace

#: Each provider's status tables (names in ``CODE_TABLES``) and the error namespaces its
#: reports carry; ``"acme"`` stands for a provider the library does not know.
PROVIDER_SHAPES: Mapping[str, tuple[tuple[str, ...], tuple[ErrorNamespace, ...]]] = {
    "smpp": (("smpp_status",), (_NS.GSM_MAP, _NS.SMPP_COMMAND_STATUS, _NS.PROVIDER)),
    "kannel": (("kannel", "smpp_status"), (_NS.GSM_MAP, _NS.PROVIDER)),
    "twilio": (("twilio_status",), (_NS.TWILIO,)),
    "vonage": (("vonage_status",), (_NS.VONAGE,)),
    "infobip": (("infobip_status",), (_NS.INFOBIP, _NS.GSM_MAP)),
    "brevo": (("brevo_event",), (_NS.BREVO,)),
    "acme": ((), (_NS.PROVIDER,)),
}
#: The table of each error namespace's codes.
_ERROR_TABLES: Mapping[ErrorNamespace, str] = {
    _NS.SMPP_COMMAND_STATUS: "smpp_command_status",
    _NS.GSM_MAP: "gsm_map",
    _NS.TWILIO: "twilio",
    _NS.VONAGE: "vonage",
    _NS.INFOBIP: "infobip",
    _NS.BREVO: "brevo",
}
#: Reason texts as Brevo writes them (its table holds patterns).
_BREVO_REASONS = (
    "handset turned off",
    "invalid number",
    "landline number",
    "message expired",
    "blocked as spam",
    "sender id not registered",
    "undeliverable in its current form",
)
_FAILED = {"twilio": "undelivered", "vonage": "failed", "brevo": "hardBounce"}


def _table(name: str) -> Iterable[str]:
    """The codes of a table of ``CODE_TABLES`` (none if the registry has no such table)."""
    return CODE_TABLES.get(name, {}).keys()


def _statuses(provider: str) -> list[str]:
    words = [word for table in PROVIDER_SHAPES[provider][0] for word in _table(table)]
    return [*words, *(word.upper() for word in words), *(word.lower() for word in words)]


def _codes(namespace: ErrorNamespace) -> list[str]:
    table = _ERROR_TABLES.get(namespace)
    codes = list(_table(table)) if table is not None else ["1", "42", "9999"]
    return codes + list(_BREVO_REASONS) if namespace is _NS.BREVO else codes


def _details(provider: str, group: str | None) -> Mapping[str, str]:
    return {"group": group} if provider == "infobip" and group is not None else {}


def table_reports() -> Iterator[DeliveryReport]:
    """One report per row of every code table: each status word of each provider, and each
    error code of each namespace with that provider's failure status (Infobip: each group)."""
    for provider, (tables, namespaces) in PROVIDER_SHAPES.items():
        for status in [word for table in tables for word in _table(table)]:
            yield DeliveryReport(provider=provider, provider_message_id="p-1", status=status)
        for namespace in namespaces:
            for code in _codes(namespace):
                yield DeliveryReport(
                    provider=provider,
                    provider_message_id="p-1",
                    status=_FAILED.get(provider, "UNDELIV"),
                    error=ErrorCode(namespace, code),
                )
    for group in _table("infobip_group"):
        yield DeliveryReport(
            provider="infobip", provider_message_id="p-1", status=None, details={"group": group}
        )


def answer(classifier: BounceClassifier, report: DeliveryReport) -> Classification | None:
    """``classifier(report)``, which must be a ``Classification`` or ``None``; an exception is a
    failure of the contract (an ``AssertionError`` saying so)."""
    try:
        found = classifier(report)
    except Exception as error:
        raise AssertionError(f"the classifier raised {error!r} for {report.to_dict()}") from error
    assert found is None or isinstance(found, Classification), (
        f"the classifier returned {found!r}, not a Classification or None, for {report.to_dict()}"
    )
    return found


class ClassifierConformance(PropertySuite):
    """The ``BounceClassifier`` contract as tests. Subclass it and provide a ``classifier``
    fixture. ``max_examples`` may be changed."""

    def reports(self) -> st.SearchStrategy[DeliveryReport]:
        """Reports as every provider's parsers give them: a status word of the provider's
        tables (in any case) or any text or none, an error code of one of its namespaces (or of
        any namespace, or any text), the intermediate mark, Infobip's group, times."""
        from hypothesis import strategies as st

        texts = st.text(max_size=12)
        instants = st.datetimes(
            min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
        )

        @st.composite
        def reports(draw: st.DrawFn) -> DeliveryReport:
            provider = draw(st.sampled_from(sorted(PROVIDER_SHAPES)))
            namespaces: Sequence[ErrorNamespace] = PROVIDER_SHAPES[provider][1]
            namespace = draw(st.sampled_from(namespaces) | st.sampled_from(list(ErrorNamespace)))
            statuses = _statuses(provider)
            known = st.sampled_from(statuses) if statuses else st.nothing()
            status = draw(known | texts | st.none())
            code = draw(st.sampled_from(_codes(namespace)) | texts.filter(bool))
            groups = list(_table("infobip_group"))
            group = st.sampled_from(groups) if groups else st.nothing()
            return DeliveryReport(
                provider=provider,
                provider_message_id=draw(st.none() | st.just("p-1")),
                status=status,
                error=draw(st.none() | st.just(ErrorCode(namespace, code))),
                done_text=draw(st.none() | st.just("2603020915") | texts),
                received_at=draw(st.none() | instants),
                intermediate=draw(st.booleans()),
                details=_details(provider, draw(st.none() | group | texts)),
            )

        return reports()

    def for_all_reports(self, check: Callable[[DeliveryReport], object]) -> None:
        """Run ``check`` on ``max_examples`` reports."""
        from hypothesis import given

        @self.hypothesis_settings()
        @given(report=self.reports())
        def run(report: DeliveryReport) -> None:
            check(report)

        run()

    # the contract ------------------------------------------------------------------------

    def test_answers_every_table_row(self, classifier: BounceClassifier) -> None:
        """Every status word and error code of the code tables gets a Classification or None."""
        for report in table_reports():
            answer(classifier, report)

    def test_answers_any_report(self, classifier: BounceClassifier) -> None:
        """Any report of any provider gets a Classification or None, never an exception."""
        self.for_all_reports(lambda report: answer(classifier, report))
