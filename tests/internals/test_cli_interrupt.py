"""The command line's interrupt handling around its private parser (``cli._main``): Ctrl-C
while the parser is built or reads the arguments."""

from __future__ import annotations

import pytest

from sms_campaign_stats import cli
from sms_campaign_stats.cli import _main


@pytest.mark.parametrize("step", ["building", "reading"])
def test_ctrl_c_while_the_parser_is_built_or_reads_is_one_line(
    step: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C while the parser is built (argparse compiles its patterns then: the moment a CI
    run caught, a traceback out of ``_parser``) or while it reads the arguments ends with one
    line and status 130, as while the library loads."""

    def interrupted(*args: object, **kwargs: object) -> object:
        raise KeyboardInterrupt

    if step == "building":
        monkeypatch.setattr(_main, "_parser", interrupted)
    else:  # the arguments being read
        parser = _main._parser()
        monkeypatch.setattr(parser, "parse_args", interrupted)
        monkeypatch.setattr(_main, "_parser", lambda: parser)
    assert cli.EXIT_INTERRUPTED == cli.main(["stats", "--db", "x.db"])
    assert "sms-campaign-stats: interrupted\n" == capsys.readouterr().err
