"""tools/install.py hands uv the indexes, links and constraints pip is configured with, so
that ``make install`` picks the versions pip would pick on the same machine."""

import importlib.util

from tests.conftest import ROOT

spec = importlib.util.spec_from_file_location("install", ROOT / "tools" / "install.py")
install = importlib.util.module_from_spec(spec)
spec.loader.exec_module(install)

LISTING = """\
:env:.find-links='/opt/wheels'
:env:.default-timeout='180'
global.cert='/etc/ssl/certs/ca-certificates.crt'
global.constraint='/etc/pip/constraints.txt'
global.extra-index-url='file:///opt/a/simple file:///opt/b/simple'
global.find-links='/ignored/by/the/variable'
install.index-url='https://mirror.example/simple'
wheel.find-links='/not/read/by/pip/install'
:env:.extra-index-url=''
"""


def test_pip_settings_become_uv_options_a_variable_winning_over_a_file():
    settings = install.pip_settings(LISTING)
    assert settings == {
        "find-links": ["/opt/wheels"],
        "constraint": ["/etc/pip/constraints.txt"],
        "extra-index-url": ["file:///opt/a/simple", "file:///opt/b/simple"],
        "index-url": ["https://mirror.example/simple"],
    }
    arguments = install.uv_arguments(settings)
    assert arguments[:2] == ["--index-strategy", "unsafe-best-match"]
    pairs = list(zip(arguments[2::2], arguments[3::2], strict=True))
    assert ("--constraint", "/etc/pip/constraints.txt") in pairs
    assert [v for o, v in pairs if o == "--extra-index-url"] == [
        "file:///opt/a/simple",
        "file:///opt/b/simple",
    ]
    assert ("--find-links", "/ignored/by/the/variable") not in pairs


def test_multi_line_values_quotes_and_no_index_are_read_as_pip_reads_them():
    listing = (
        "global.extra-index-url='\\nhttps://a/simple\\nhttps://b/simple'\n"
        "global.find-links='/it\\'s \"here\"'\n"
        ":env:.no-index='true'\n"
    )
    settings = install.pip_settings(listing)
    assert settings["extra-index-url"] == ["https://a/simple", "https://b/simple"]
    assert settings["find-links"] == ["/it's", '"here"']
    assert "--no-index" in install.uv_arguments(settings)
    assert "--no-index" not in install.uv_arguments({"no-index": ["false"]})


def test_no_pip_settings_leave_uv_on_its_defaults():
    assert install.uv_arguments(install.pip_settings("")) == [
        "--index-strategy",
        "unsafe-best-match",
    ]
