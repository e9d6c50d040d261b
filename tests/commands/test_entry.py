"""The one ``transferlab`` command: every subcommand is listed, has a readable ``--help``,
and refuses bad input with one line naming the culprit, no traceback and no file."""

import pytest
import torch

from tests.conftest import config
from transferlab.commands import entry


def run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stop:
        entry.main(list(argv))
    out, err = capsys.readouterr()
    return stop.value.code, out, err


def test_help_lists_every_subcommand(capsys):
    entry.main(["--help"])
    listed = capsys.readouterr().out
    for name in ["fit", "validate", "test", *entry.SUBCOMMANDS.names()]:
        assert f"\n  {name} " in listed, name


@pytest.mark.parametrize("subcommand", ["fit", *entry.SUBCOMMANDS.names()])
def test_every_subcommand_has_a_help_that_keeps_its_examples(subcommand, capsys):
    code, out, _ = run(capsys, subcommand, "--help")
    assert code == 0 and "usage:" in out
    if subcommand == "active":  # the YAML example stays as written, one key a line
        assert "\n  active:\n" in out or "\n    active:\n" in out, out[:2000]


MINIMAL = {
    "compare": lambda: ["x.yaml", "--seed=3"],
    "shift": lambda: ["-c", config("shift/mnist_label_shift.yaml")],
    "export": lambda: ["--ckpt", "a.ckpt", "--quantize", "dynamic"],
    "active": lambda: ["-c", config("active/mnist_entropy.yaml"), "--active.budget=40"],
    "explain": lambda: ["--ckpt", "a.ckpt", "--images", "x", "y", "--checks"],
    "predict": lambda: ["--ckpt", "a.ckpt", "--images", "x", "--top_k=2"],
    "bench": lambda: ["run", "domain_adaptation", "--seeds", "0", "1"],
}
ACTION = {"bench": ["run"]}  # bench's options belong to its action


@pytest.mark.parametrize("subcommand", entry.SUBCOMMANDS.names())
def test_every_subcommand_reads_its_printed_config_back_with_dash_c(subcommand, tmp_path, capsys):
    """One parser everywhere: --print_config shows the options (dotted overrides applied),
    and -c reads that YAML back to the same options."""
    code, printed, _ = run(capsys, subcommand, *MINIMAL[subcommand](), "--print_config")
    assert code == 0 and printed.strip()
    (tmp_path / "options.yaml").write_text(printed)
    options = ["-c", str(tmp_path / "options.yaml"), "--print_config"]
    code, again, _ = run(capsys, subcommand, *ACTION.get(subcommand, []), *options)
    assert code == 0 and again == printed
    expected = {"compare": "seed: 3", "active": "budget: 40", "explain": "checks: true"}
    expected["bench"] = "- 1"
    assert expected.get(subcommand, "") in printed


def junk_checkpoint(tmp_path):
    path = tmp_path / "junk.ckpt"
    path.write_bytes(b"\x80\x02 not a checkpoint")
    return str(path)


REFUSALS = {
    "unknown subcommand": (lambda tmp: ["fitt"], "unknown subcommand 'fitt'"),
    "fit": (
        lambda tmp: ["fit", "-c", config("dann/mnist_to_mnistm.yaml"), "--model.nope=1"],
        "nope",
    ),
    "fit, missing data folder": (
        lambda tmp: [
            "fit",
            "-c",
            config("dann/mnist_to_mnistm.yaml"),
            "--data",
            "transferlab.data.ImageFolderDomains",
            "--data.root",
            str(tmp / "no_such_folder"),
            "--data.source",
            "a",
            "--data.target",
            "b",
        ],
        "no_such_folder",
    ),
    "compare": (lambda tmp: ["compare", "x.yaml", "--validators", "imm"], "imm"),
    "shift": (lambda tmp: ["shift", "-c", str(tmp / "missing.yaml")], "missing.yaml"),
    "export": (lambda tmp: ["export", "--ckpt", junk_checkpoint(tmp)], "junk.ckpt"),
    "active": (lambda tmp: ["active", "-c", str(tmp / "missing.yaml")], "missing.yaml"),
    "explain": (
        lambda tmp: ["explain", "--ckpt", junk_checkpoint(tmp), "--images", str(tmp)],
        "junk.ckpt",
    ),
    "predict": (
        lambda tmp: ["predict", "--ckpt", junk_checkpoint(tmp), "--images", str(tmp)],
        "junk.ckpt",
    ),
    "bench": (lambda tmp: ["bench", "run", str(tmp / "nospec.yaml")], "nospec.yaml"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_bad_input_is_one_line_without_traceback_or_files(case, tmp_path, capsys):
    argv, culprit = REFUSALS[case]
    argv = argv(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert culprit in err and "Traceback" not in err, err
    assert sorted(tmp_path.rglob("*")) == before  # nothing written


def test_a_truncated_checkpoint_names_the_file(tmp_path, capsys):
    whole = tmp_path / "whole.ckpt"
    torch.save({"transferlab": {"method": "SourceOnly"}, "state_dict": {}}, whole)
    truncated = tmp_path / "truncated.ckpt"
    truncated.write_bytes(whole.read_bytes()[:100])
    code, _, err = run(capsys, "export", "--ckpt", str(truncated))
    assert code == 2 and "truncated.ckpt cannot be read as a checkpoint" in err
    assert len(err.strip().splitlines()) == 1, err
