"""`kspolicy lists import`: each publisher's format made into a list file, and bad input.

The fixtures under tests/data/screening/import/ are made by the project in each format,
with fictional entities; each holds a weak alias (where the format can say so), a name
in a non-Latin script and a delisted entity (by an end date, or by its absence from the
file against the previous import).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from kspolicy.lang.listfile import read_list_file
from kspolicy.lang.lists import Entry, NamedList
from kspolicy.span import Source
from kspolicy.tools.cli import main

DATA = Path(__file__).parent / "data" / "screening" / "import"


def _import(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str, out: str = "list.toml"
) -> tuple[int, str, Path]:
    target = tmp_path / out
    code = main(["lists", "import", *args, "--out", str(target)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out + captured.err, target


def _load(path: Path) -> NamedList:
    lists, problems = read_list_file(Source(str(path), path.read_text(encoding="utf-8")))
    assert problems == []
    (only,) = lists
    return only


def _by_ref(named: NamedList) -> dict[str, Entry]:
    return {e.ref: e for e in named.entries if e.ref is not None}


def test_eu_fsf_keeps_names_aliases_quality_countries_programmes_and_dates(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    previous = str(DATA / "eu-fsf.previous.toml")
    code, output, out = _import(
        capsys, tmp_path, "eu-fsf", str(DATA / "eu-fsf.xml"), "--previous", previous
    )
    assert code == 0, output
    named = _load(out)
    assert named.name == "EU_FSF"
    assert named.retrieved == dt.datetime(
        2026, 11, 20, 8, tzinfo=dt.timezone(dt.timedelta(hours=1))
    )
    assert named.sha256 == hashlib.sha256((DATA / "eu-fsf.xml").read_bytes()).hexdigest()
    assert named.max_age == dt.timedelta(days=7)
    assert named.source_url == "https://webgate.ec.europa.eu/fsd/fsf"
    entries = _by_ref(named)
    ivan = entries["EU.1001.11"]
    assert ivan.key == "Ivan Fictivovich PETROVSKY"
    assert ivan.type == "person"
    assert ivan.aliases == ("Ivan Petrovski", "Иван Фиктивович Петровский")
    assert ivan.weak_aliases == ("Vanya",)
    assert (ivan.countries, ivan.programmes, ivan.listed) == (
        ("RU",),
        ("RUS",),
        dt.date(2022, 3, 15),
    )
    # No designationDate: listed when its regulation entered into force.
    assert entries["EU.2002.22"].listed == dt.date(2023, 2, 25)
    assert entries["EU.2002.22"].weak_aliases == ("NWO",)
    # countryIso2Code "00" is the Commission's "unknown": not a country.
    assert entries["EU.3003.33"].countries == ("CN",)
    # Gone since the previous import: kept, delisted on the day of this file.
    gone = entries["EU.4004.44"]
    assert gone.delisted == dt.date(2026, 11, 20)
    assert gone.valid_on(dt.date(2026, 11, 19)) and not gone.valid_on(dt.date(2026, 11, 20))
    assert "1 delisted since" in output


def test_uk_list_keeps_name_types_alias_strength_and_non_latin_names(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    previous = str(DATA / "uk.previous.toml")
    code, output, out = _import(
        capsys, tmp_path, "uk", str(DATA / "uk.xml"), "--previous", previous
    )
    assert code == 0, output
    named = _load(out)
    assert named.retrieved == dt.datetime(2026, 11, 21, 7, 30, tzinfo=dt.UTC)
    entries = _by_ref(named)
    olga = entries["RUS9001"]
    assert olga.key == "Olga KRASNOVA"
    assert olga.aliases == ("Olga KRASNOVA-BELAYA", "Ольга Краснова")
    assert olga.weak_aliases == ("Olya",)
    assert (olga.type, olga.countries, olga.programmes) == ("person", ("RU",), ("Russia",))
    assert olga.listed == dt.date(2022, 5, 4)
    heron = entries["RUS9002"]
    assert heron.countries == ("AE",)
    # A country name the table does not know is reported, with its line, not guessed.
    assert "uk.xml:34: warning: country 'Atlantis' is not known" in output
    assert entries["RUS9003"].delisted == dt.date(2026, 11, 21)


@pytest.mark.parametrize(
    ("format", "file"), [("us-csl-json", "us-csl.json"), ("us-csl-csv", "us-csl.csv")]
)
def test_us_csl_json_and_csv_give_the_same_entities(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, format: str, file: str
) -> None:
    code, output, out = _import(
        capsys, tmp_path, format, str(DATA / file), "--retrieved", "2026-11-21"
    )
    assert code == 0, output
    named = _load(out)
    assert named.retrieved == dt.date(2026, 11, 21)
    entries = _by_ref(named)
    quasar = entries["csl-0001"]
    assert quasar.aliases == ("Quasar Micro", "量子微器件有限公司")
    assert quasar.countries == ("CN",)
    assert quasar.programmes == ("EAR", "Entity List (EL) - Bureau of Industry and Security")
    dmitri = entries["csl-0002"]
    assert (dmitri.key, dmitri.type, dmitri.countries) == ("FICTIONOV, Dmitri", "person", ("RU",))
    assert "Дмитрий Фикционов" in dmitri.aliases
    # end_date is the last day in force: delisted the day after.
    denied = entries["csl-0003"]
    assert (denied.listed, denied.delisted) == (dt.date(2015, 1, 1), dt.date(2025, 1, 2))
    assert denied.valid_on(dt.date(2025, 1, 1)) and not denied.valid_on(dt.date(2025, 1, 2))
    assert denied.countries == ("US",)


def test_opensanctions_ftm_keeps_weak_aliases_sanctions_and_targets_only(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, output, out = _import(
        capsys, tmp_path, "opensanctions-ftm", str(DATA / "opensanctions.ftm.json")
    )
    assert code == 0, output
    named = _load(out)
    # No --retrieved: the latest last_seen of the file.
    assert named.retrieved == dt.datetime(2026, 11, 20, 6, tzinfo=dt.UTC)
    entries = _by_ref(named)
    assert set(entries) == {"os-p1", "os-c1"}  # not the linked director, nor the address
    sergei = entries["os-p1"]
    assert sergei.aliases == ("Sergey Imaginov", "Сергей Имагинов")
    assert sergei.weak_aliases == ("Serzh",)
    assert (sergei.programmes, sergei.listed) == (("EU-RUS",), dt.date(2022, 3, 15))
    silverline = entries["os-c1"]
    assert silverline.countries == ("CN", "DE")
    assert silverline.aliases == ("银线航电有限公司",)
    assert (silverline.listed, silverline.delisted) == (dt.date(2021, 1, 1), dt.date(2024, 7, 1))


def test_opensanctions_simple_csv_keeps_names_countries_and_programmes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    previous = str(DATA / "opensanctions.previous.toml")
    file = str(DATA / "opensanctions.simple.csv")
    code, output, out = _import(capsys, tmp_path, "opensanctions-csv", file, "--previous", previous)
    assert code == 0, output
    entries = _by_ref(_load(out))
    sergei = entries["os-p1"]
    assert sergei.aliases == ("Sergey Imaginov", "Сергей Имагинов")
    assert (sergei.type, sergei.countries, sergei.programmes) == ("person", ("RU",), ("EU-RUS",))
    assert entries["os-c1"].countries == ("CN", "DE")
    assert entries["os-v1"].delisted == dt.date(2026, 11, 20)


@pytest.mark.parametrize(
    ("format", "file"),
    [
        ("eu-fsf", "eu-fsf.xml"),
        ("uk", "uk.xml"),
        ("us-csl-json", "us-csl.json"),
        ("us-csl-csv", "us-csl.csv"),
        ("opensanctions-ftm", "opensanctions.ftm.json"),
        ("opensanctions-csv", "opensanctions.simple.csv"),
    ],
)
def test_reimporting_the_same_file_gives_the_same_bytes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, format: str, file: str
) -> None:
    args = (format, str(DATA / file), "--retrieved", "2026-11-21")
    first = _import(capsys, tmp_path, *args, out="first.toml")
    second = _import(capsys, tmp_path, *args, out="second.toml")
    assert first[0] == second[0] == 0
    assert first[2].read_bytes() == second[2].read_bytes()
    named = _load(first[2])
    assert named.sha256 == hashlib.sha256((DATA / file).read_bytes()).hexdigest()


def test_a_billion_laughs_file_is_refused_unexpanded(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Expanded, &lol9; is 10^9 "lol"s: 3 GB. Refused before any entity is expanded.
    code, output, out = _import(capsys, tmp_path, "eu-fsf", str(DATA / "billion-laughs.xml"))
    assert code == 2
    assert "billion-laughs.xml:3: error: the XML declares entities" in output
    assert not out.exists()


def test_broken_xml_names_its_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    broken = tmp_path / "cut.xml"
    text = (DATA / "eu-fsf.xml").read_text(encoding="utf-8")
    broken.write_text(text[: text.index("</sanctionEntity>")], encoding="utf-8")
    code, output, _ = _import(capsys, tmp_path, "eu-fsf", str(broken))
    assert code == 2
    assert f"{broken}:14: error: the file is not well-formed XML" in output
    assert "help: the file may be cut short" in output


def test_a_file_in_another_format_says_which_format_it_looks_like(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, output, _ = _import(capsys, tmp_path, "eu-fsf", str(DATA / "us-csl.csv"))
    assert code == 2
    assert "us-csl.csv:1: error: the file is not well-formed XML" in output
    code, output, _ = _import(capsys, tmp_path, "us-csl-json", str(DATA / "us-csl.csv"))
    assert code == 2
    assert "not valid JSON" in output and "FORMAT us-csl-csv" in output
    code, output, _ = _import(capsys, tmp_path, "uk", str(DATA / "eu-fsf.xml"))
    assert code == 2
    assert "eu-fsf.xml:3: error: the XML is not a UK sanctions list: its root is <export>" in output


def test_missing_columns_are_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, output, _ = _import(
        capsys, tmp_path, "opensanctions-csv", str(DATA / "us-csl.csv"), "--retrieved", "2026-11-21"
    )
    assert code == 2
    assert (
        "us-csl.csv:1: error: the file has no column 'id', 'schema', 'aliases', 'countries'"
        in output
    )
    assert "FORMAT us-csl-csv" in output


def test_broken_csv_and_json_lines_name_their_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    csv_file = tmp_path / "broken.csv"
    header = (DATA / "opensanctions.simple.csv").read_text(encoding="utf-8").splitlines()[0]
    csv_file.write_text(f'{header}\nos-1,Person,"Unclosed quote,,,\n', encoding="utf-8")
    code, output, _ = _import(capsys, tmp_path, "opensanctions-csv", str(csv_file))
    assert code == 2
    assert f"{csv_file}:2: error: the CSV row that starts on this line is broken" in output
    lines = tmp_path / "broken.json"
    good = (DATA / "opensanctions.ftm.json").read_text(encoding="utf-8").splitlines()[0]
    lines.write_text(f'{good}\n{{"id": "x", "schema": \n', encoding="utf-8")
    code, output, _ = _import(capsys, tmp_path, "opensanctions-ftm", str(lines))
    assert code == 2
    assert f"{lines}:2: error: this line is not valid JSON" in output


def test_an_unreadable_file_and_an_unknown_format_are_reported(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, output, _ = _import(capsys, tmp_path, "eu-fsf", str(tmp_path / "missing.xml"))
    assert code == 2
    assert "missing.xml: error: cannot read it" in output
    code, output, _ = _import(capsys, tmp_path, "eu-fsf", str(tmp_path))
    assert code == 2 and "it is a folder" in output
    code, output, _ = _import(capsys, tmp_path, "eu_fsf", str(DATA / "eu-fsf.xml"))
    assert code == 2
    assert "error: no format 'eu_fsf'" in output and "eu-fsf" in output


def test_a_file_that_states_no_date_needs_retrieved(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, output, out = _import(capsys, tmp_path, "us-csl-json", str(DATA / "us-csl.json"))
    assert code == 2
    assert "does not say when it was made" in output and "--retrieved YYYY-MM-DD" in output
    assert not out.exists()


def test_a_bad_max_age_writes_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, output, out = _import(
        capsys, tmp_path, "eu-fsf", str(DATA / "eu-fsf.xml"), "--max-age", "a month"
    )
    assert code == 2
    assert "`max_age` must be a number of days or weeks" in output
    assert not out.exists()
