"""LHEO harvest throughput and peak memory, beside `xmlschema.iter_decode` on the same feed.

    .venv/bin/python bench/lheo.py --size-mb 20 --size-mb 200 [--size-mb 1000] [--keep] [--no-xmlschema]

For each size: generates a schema-valid LHEO 2.3 feed of about that many MB into `bench/out/`
(deterministic, realistic: titles, HTML descriptions, 1–3 actions of 1–3 sessions per
formation, registration periods, organismes (responsable; formateur for one action in three),
disability access and selection for one action in two, funders, CPF extras, a few real-world
defects), then runs, each in its own process,
  1. our whole pipeline: `harvest(LheoHarvester(FILE))` on an empty data directory (parse,
     map, validate, identify, write records + revisions, index for search);
  2. `xmlschema.XMLSchema(lheo.xsd).iter_decode(FILE, path="//offres/formation", lazy=True)`,
     as data·inclusion reads the Carif-Oref feed (iterated and dropped, not kept in a list),
     against `../shared/corpus/lheo/lheo.xsd` when present, else a minimal XSD written here;
and prints MB/s and peak RSS (`ru_maxrss` of each child process, read by the child itself). Our
harvest reads (and validates) the feed in a process of its own while the main one writes and
indexes: their peak RSS summed is printed as an upper bound (it counts twice the pages they share
since the fork, and adds peaks that may come at different moments); the peak of their summed
PSS, sampled every 100 ms, is the memory they really hold together. `--repeat N` runs each
measure N times and keeps the fastest (the machine's speed varies from run to run; CPU seconds
are printed too).
Target: ≥ 10 MB/s end to end and a peak RSS under 300 MB, whatever the size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
CORPUS_XSD = ROOT.parent / "shared" / "corpus" / "lheo" / "lheo.xsd"
NS = "http://lheo.gouv.fr/2.3"

PLACES = [
    ("93066", "93200", "Saint-Denis", "93", "11", 48.936, 2.357),
    ("93008", "93000", "Bobigny", "93", "11", 48.908, 2.440),
    ("93048", "93100", "Montreuil", "93", "11", 48.861, 2.443),
    ("75111", "75011", "Paris", "75", "11", 48.859, 2.379),
    ("69383", "69003", "Lyon", "69", "84", 45.760, 4.850),
    ("13201", "13001", "Marseille", "13", "93", 43.296, 5.381),
    ("59350", "59000", "Lille", "59", "32", 50.630, 3.060),
    ("59512", "59100", "Roubaix", "59", "32", 50.690, 3.181),
]
TITLES = [
    ("Titre professionnel Agent de propreté et d'hygiène", "42052", "K2204", "343", "6"),
    ("CACES R489 chariots de manutention catégories 1A, 3 et 5", "31811", "N1101", "311", "7"),
    ("Remise à niveau en français et mathématiques", "15040", "", "", "5"),
    ("Préparation au permis B et au code de la route", "31812", "", "", "7"),
    ("Titre professionnel Assistant de vie aux familles", "44028", "K1302", "330", "6"),
    ("Français langue étrangère — niveau A2", "15235", "", "", "5"),
    ("Titre professionnel Cuisinier", "42752", "G1602", "221", "6"),
    ("Découverte des métiers du bâtiment", "22454", "F1703", "230", "9"),
    ("Initiation à l'informatique et au numérique", "70354", "", "326", "5"),
    ("Créer et gérer son entreprise", "32047", "", "310", "4"),
]
# What an action says of disability access and of how it selects trainees (one action in two).
ACCESS = ("Accès handicapé possible", "Locaux accessibles en fauteuil roulant ; référent handicap sur place.",
          "Nous contacter pour étudier l'adaptation de la formation.")
SELECTION = ("Information collective, entretien individuel", "Entretien, Tests", "Dossier de candidature")
WORDS = (
    "acquérir", "maîtriser", "compétences", "professionnelles", "atelier", "pratique",
    "entreprise", "stage", "sécurité", "réglementation", "client", "qualité", "équipe",
    "outils", "méthodes", "accompagnement", "individualisé", "évaluation", "certification",
    "module", "savoir-faire", "communication", "organisation", "chantier",
)


# -- the feed --------------------------------------------------------------------------------

def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def _html(rng: random.Random, paragraphs: int) -> str:
    """HTML as producers send it: escaped inside the element (the common Intercarif case)."""
    body = "".join(f"<p>{_sentence(rng, rng.randint(12, 30))}</p>" for _ in range(paragraphs))
    body += "<ul>" + "".join(f"<li>{_sentence(rng, 6)}</li>" for _ in range(3)) + "</ul>"
    return escape(body)


def _adresse(place: tuple, rng: random.Random, defect: bool) -> str:
    insee, cp, ville, dep, region, lat, lon = place
    lat_text = f"{lat + rng.uniform(-0.01, 0.01):.6f}"
    lon_text = f"{lon + rng.uniform(-0.01, 0.01):.6f}"
    if defect:
        lat_text = lat_text.replace(".", ",")  # comma decimals
    return (f"<adresse><ligne>{rng.randint(1, 120)} rue {rng.choice(['de la République', 'Jean Jaurès', 'Victor Hugo'])}"
            f"</ligne><codepostal>{cp}</codepostal><ville>{ville}</ville><departement>{dep}</departement>"
            f"<code-INSEE-commune>{insee}</code-INSEE-commune><region>{region}</region><pays>FR</pays>"
            f"<geolocalisation><latitude>{lat_text}</latitude><longitude>{lon_text}</longitude></geolocalisation>"
            "</adresse>")


def _coordonnees(place: tuple, rng: random.Random, n: int) -> str:
    return (f"<coordonnees><nom>Accueil</nom>{_adresse(place, rng, False)}<telfixe><numtel>01 48 {n % 100:02d} "
            f"{rng.randint(10, 99)} {rng.randint(10, 99)}</numtel></telfixe>"
            f"<courriel>contact{n % 997}@organisme-formation.fr</courriel>"
            f"<web><urlweb>www.organisme-formation.fr</urlweb></web></coordonnees>")


def _luhn_complete(digits: str) -> str:
    """Digits + their Luhn check digit (SIREN: 8 + 1; SIRET: SIREN + NIC + 1), as INSEE numbers."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        n = int(char) * (2 if position % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return digits + str((10 - total % 10) % 10)


def formation_xml(i: int, rng: random.Random) -> str:
    title, formacode, rome, nsf, objectif = TITLES[i % len(TITLES)]
    place = PLACES[rng.randrange(len(PLACES))]
    defect = i % 50 == 0
    domaine = f"<code-FORMACODE ref=\"V14\">{formacode}</code-FORMACODE>"
    domaine += f"<code-NSF>{nsf}</code-NSF>" if nsf else ""
    domaine += f"<code-ROME ref=\"V4\">{rome}</code-ROME>" if rome else ""
    actions = []
    for a in range(rng.randint(1, 3)):
        sessions = []
        for s in range(rng.randint(1, 3)):
            month = 1 + (i + s) % 12
            debut = "00000000" if defect and s == 0 else f"2026{month:02d}{1 + s * 7:02d}"
            sessions.append(
                f'<session numero="SE_{i}_{a}_{s}" datemaj="2025{1 + i % 12:02d}{1 + i % 28:02d}">'
                f"<periode><debut>{debut}</debut><fin>2026{month:02d}28</fin></periode>"
                f"<adresse-inscription>{_adresse(place, rng, False)}</adresse-inscription>"
                f"<periode-inscription><periode><debut>2025{month:02d}01</debut><fin>2026{month:02d}01</fin></periode>"
                "</periode-inscription>"
                f"<etat-recrutement>{1 + (i + s) % 3}</etat-recrutement>"
                f"<url-session><urlweb>https://www.organisme-formation.fr/sessions/SE_{i}_{a}_{s}</urlweb></url-session>"
                '<extras info="eligibilite-cpf"><extra info="france-entiere">1</extra></extras>'
                "</session>")
        price = f"{rng.randint(800, 9000)},50" if defect else str(rng.randint(800, 9000))
        welcome = "" if (i + a) % 2 else (  # one action in two says how it welcomes and selects
            f"<acces-handicapes>{ACCESS[i % len(ACCESS)]}</acces-handicapes>"
            f"<modalites-recrutement>{SELECTION[i % len(SELECTION)]}</modalites-recrutement>")
        formateur = "" if (i + a) % 3 else (  # one action in three names who teaches it
            "<organisme-formateur><SIRET-formateur>"
            f"<SIRET>{_luhn_complete(_luhn_complete(str(19930000 + i % 997)) + '0001')}</SIRET>"
            f"</SIRET-formateur><raison-sociale-formateur>Centre de formation {i % 997}"
            "</raison-sociale-formateur></organisme-formateur>")
        actions.append(
            f'<action numero="AF_{i}_{a}" datemaj="2025{1 + i % 12:02d}01">'
            "<rythme-formation>Temps plein</rythme-formation>"
            f"<code-public-vise ref=\"V14\">{rng.choice(['80006', '83056', '81024', '81018'])}</code-public-vise>"
            "<niveau-entree-obligatoire>0</niveau-entree-obligatoire>"
            "<modalites-alternance>-</modalites-alternance>"
            f"<modalites-enseignement>{i % 3}</modalites-enseignement>"
            f"<conditions-specifiques>{_html(rng, 1)}</conditions-specifiques>"
            "<prise-en-charge-frais-possible>1</prise-en-charge-frais-possible>"
            f"<lieu-de-formation>{_coordonnees(place, rng, i)}</lieu-de-formation>"
            f"<modalites-entrees-sorties>{i % 2}</modalites-entrees-sorties>"
            f"<url-action><urlweb>www.organisme-formation.fr/actions/AF_{i}_{a}</urlweb></url-action>"
            + "".join(sessions) + welcome +
            f"<code-perimetre-recrutement>{rng.choice(['1', '2', '3', '5'])}</code-perimetre-recrutement>"
            f"<prix-total-TTC>{price}</prix-total-TTC>"
            f"<nombre-heures-centre>{rng.randint(35, 600)}</nombre-heures-centre>"
            f"<nombre-heures-entreprise>{rng.randint(0, 210)}</nombre-heures-entreprise>"
            f"<conventionnement>{i % 2}</conventionnement>"
            + formateur +
            f"<organisme-financeur><code-financeur>{rng.choice(['2', '4', '10', '16'])}</code-financeur>"
            "<nb-places-financees>12</nb-places-financees></organisme-financeur>"
            "</action>")
    siret = "00000000000000" if defect else _luhn_complete(_luhn_complete(f"{rng.randint(10**7, 10**8 - 1)}") + f"{rng.randint(0, 9999):04d}")
    return (
        f'<formation numero="FOR_{i}" datemaj="2025{1 + i % 12:02d}{1 + i % 28:02d}">'
        f"<domaine-formation>{domaine}</domaine-formation>"
        f"<intitule-formation>{escape(title)}</intitule-formation>"
        f"<objectif-formation>{_html(rng, 2)}</objectif-formation>"
        f"<resultats-attendus>{escape(_sentence(rng, 12))}</resultats-attendus>"
        f"<contenu-formation>{_html(rng, 4)}</contenu-formation>"
        f"<certifiante>{1 if objectif == '6' else 0}</certifiante>"
        f"<contact-formation>{_coordonnees(place, rng, i + 1)}</contact-formation>"
        "<parcours-de-formation>1</parcours-de-formation>"
        "<code-niveau-entree>1</code-niveau-entree>"
        f"<objectif-general-formation>{objectif}</objectif-general-formation>"
        + (f"<certification><code-RNCP>RNCP{30000 + i % 9000}</code-RNCP></certification>" if objectif == "6" else "")
        + "".join(actions) +
        "<organisme-formation-responsable>"
        f"<numero-activite>11{i % 1000000000:09d}</numero-activite>"
        f"<SIRET-organisme-formation><SIRET>{siret}</SIRET></SIRET-organisme-formation>"
        f"<nom-organisme>Organisme de formation {i % 400}</nom-organisme>"
        f"<raison-sociale>Organisme de formation {i % 400}</raison-sociale>"
        f"<coordonnees-organisme>{_coordonnees(place, rng, i + 2)}</coordonnees-organisme>"
        f"<contact-organisme>{_coordonnees(place, rng, i + 3)}</contact-organisme>"
        "</organisme-formation-responsable>"
        "</formation>\n"
    )


def generate(size_mb: float, path: Path, seed: int = 3) -> dict:
    """Write the feed and return the counts an independent reader must find."""
    rng = random.Random(seed)
    target = int(size_mb * 1_000_000)
    counts = {"formations": 0, "actions": 0, "sessions": 0}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<lheo xmlns="{NS}"><offres>\n')
        written, i = 0, 0
        while written < target:
            chunk = formation_xml(i, rng)
            counts["formations"] += 1
            counts["actions"] += chunk.count("<action ")
            counts["sessions"] += chunk.count("<session ")
            out.write(chunk)
            written += len(chunk.encode("utf-8"))
            i += 1
        out.write("</offres></lheo>\n")
    return counts


MINIMAL_XSD = f"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{NS}" xmlns:lheo="{NS}"
           elementFormDefault="qualified">
  <xs:element name="lheo"><xs:complexType><xs:sequence>
    <xs:element name="offres"><xs:complexType><xs:sequence>
      <xs:element name="formation" maxOccurs="unbounded"><xs:complexType><xs:sequence>
        <xs:any processContents="lax" minOccurs="0" maxOccurs="unbounded"/>
      </xs:sequence><xs:anyAttribute processContents="lax"/></xs:complexType></xs:element>
    </xs:sequence></xs:complexType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>
"""


# -- the measured runs (each in its own process) ---------------------------------------------

class MemorySampler:
    """Peak of the memory this process and its children hold together, sampled every 100 ms:
    the sum of their PSS (proportional set size: a page shared by two processes counts half
    in each), which is what the machine really gives them. Linux only; None elsewhere."""

    def __init__(self) -> None:
        self.peak_kb: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:  # noqa: PYI034
        if Path("/proc/self/smaps_rollup").exists():
            self.peak_kb = 0
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self.peak_kb is not None:
            self._thread.join()

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.1):
            try:
                children = Path(f"/proc/{me}/task/{me}/children").read_text().split()
            except OSError:
                children = []
            total = sum(_pss_kb(pid) for pid in [str(me), *children])
            self.peak_kb = max(self.peak_kb or 0, total)


def _pss_kb(pid: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass  # the child has just ended
    return 0


def child_harvest(path: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="lheo-bench-") as data_dir:
        os.environ["MAILLAGE_DATA_DIR"] = data_dir
        os.environ.pop("DATABASE_URL", None)
        sys.path.insert(0, str(ROOT))
        from catalog.config import load_settings
        from harvesters import engine as engine_module
        from harvesters.engine import harvest
        from harvesters.lheo import LheoHarvester

        # The index is written during the run (catalog/search/in_step.py): the sync after the
        # commit should find nothing left. Timed, to show it.
        phases: dict[str, float] = {}
        sync = engine_module._sync_search_index

        def timed_sync(*args, **kwargs):
            start = time.perf_counter()
            sync(*args, **kwargs)
            phases["sync_after_commit_seconds"] = time.perf_counter() - start

        engine_module._sync_search_index = timed_sync

        settings = load_settings()
        from catalog.db import get_engine

        get_engine(settings)  # migrations are set-up, not harvest: done before the clock starts
        harvester = LheoHarvester(path, options={"source": "bench"})
        start = time.perf_counter()
        with MemorySampler() as memory:
            summary = harvest(harvester, source="bench", settings=settings)
        elapsed = time.perf_counter() - start
        # The feed is read in a child process (harvesters/child_reader.py): its peak and CPU count too.
        reader = resource.getrusage(resource.RUSAGE_CHILDREN)
        from catalog.search import get_backend

        phases["indexed"] = get_backend(settings).count()  # after the clock: checked, not timed
        return {"seconds": elapsed, "status": summary.status, "counts": summary.counts,
                "found": dict(harvester.counts), "message": summary.message,
                "reader_peak_rss_mb": reader.ru_maxrss / 1024, "reader_cpu_seconds": reader.ru_utime + reader.ru_stime,
                "peak_pss_mb": memory.peak_kb / 1024 if memory.peak_kb is not None else None,
                **phases}


def child_xmlschema(path: str, xsd: str) -> dict:
    import xmlschema

    xmlschema.limits.MAX_XML_ELEMENTS = 100_000_000  # as data·inclusion does
    start = time.perf_counter()
    schema = xmlschema.XMLSchema(xsd)
    decoded = errors = 0
    for item in schema.iter_decode(path, path="//offres/formation", lazy=True, validation="lax"):
        if isinstance(item, xmlschema.XMLSchemaValidationError):
            errors += 1
        else:
            decoded += 1
    return {"seconds": time.perf_counter() - start, "formations": decoded, "errors": errors}


def run_child(args: list[str]) -> dict:
    result = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"child failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _together_bound_mb(ours: dict) -> float:
    """Upper bound of the parent's and the reader's RSS at the same moment."""
    return ours["peak_rss_mb"] + ours["reader_peak_rss_mb"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=float, action="append", help="taille du flux généré (répétable)")
    parser.add_argument("--keep", action="store_true", help="garder les flux générés dans bench/out/")
    parser.add_argument("--no-xmlschema", action="store_true", help="ne pas mesurer xmlschema")
    parser.add_argument("--repeat", type=int, default=1, help="mesures par taille (la plus rapide est gardée)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        result = child_harvest(rest[0]) if kind == "harvest" else child_xmlschema(rest[0], rest[1])
        usage = resource.getrusage(resource.RUSAGE_SELF)
        result["peak_rss_mb"] = usage.ru_maxrss / 1024
        result["cpu_seconds"] = usage.ru_utime + usage.ru_stime  # the machine may be shared: CPU time too
        print(json.dumps(result))
        return
    xsd = CORPUS_XSD
    if not xsd.exists():
        xsd = OUT / "minimal-lheo.xsd"
        OUT.mkdir(parents=True, exist_ok=True)
        xsd.write_text(MINIMAL_XSD, encoding="utf-8")
    for size in args.size_mb or [20]:
        path = OUT / f"lheo-{size:g}mb.xml"
        start = time.perf_counter()
        expected = generate(size, path)
        mb = path.stat().st_size / 1_000_000
        print(f"\n== {path.name}: {mb:.1f} Mo, {expected['formations']} formations, {expected['actions']} actions, "
              f"{expected['sessions']} sessions (généré en {time.perf_counter() - start:.1f} s)")
        ours = min((run_child(["harvest", str(path)]) for _ in range(args.repeat)), key=lambda r: r["seconds"])
        ok = (ours["found"] == expected and ours["counts"]["added"] == expected["sessions"] - ours["counts"]["invalid"]
              and ours["indexed"] == ours["counts"]["added"])
        print(f"maillage harvest lheo : {mb / ours['seconds']:6.1f} Mo/s  {ours['seconds']:7.1f} s "
              f"(CPU {ours['cpu_seconds']:.1f} s + lecteur {ours['reader_cpu_seconds']:.1f} s)  "
              f"pic RSS {ours['peak_rss_mb']:4.0f} Mo, lecteur {ours['reader_peak_rss_mb']:.0f} Mo, "
              f"ensemble ≤ {_together_bound_mb(ours):.0f} Mo (PSS ensemble : "
              f"{'?' if ours['peak_pss_mb'] is None else format(ours['peak_pss_mb'], '.0f')} Mo)  statut {ours['status']}  "
              f"ajoutés {ours['counts']['added']}  invalides {ours['counts']['invalid']}  "
              f"comptes {'OK' if ok else 'DIFFÉRENTS ' + str(ours['found'])}")
        if ours.get("message"):
            print(f"  message du travail : {ours['message']}")
        if "sync_after_commit_seconds" in ours:
            print(f"  index de recherche écrit pendant la moisson ({ours['indexed']} documents) ; rattrapage "
                  f"après le commit : {ours['sync_after_commit_seconds']:.2f} s")
        if not args.no_xmlschema:
            theirs = min((run_child(["xmlschema", str(path), str(xsd)]) for _ in range(args.repeat)),
                         key=lambda r: r["seconds"])
            print(f"xmlschema.iter_decode : {mb / theirs['seconds']:6.1f} Mo/s  {theirs['seconds']:7.1f} s "
                  f"(CPU {theirs['cpu_seconds']:.1f} s)  "
                  f"pic RSS {theirs['peak_rss_mb']:6.0f} Mo  formations {theirs['formations']}  "
                  f"erreurs {theirs['errors']}  (XSD : {xsd.name})")
        if not args.keep:
            path.unlink()


if __name__ == "__main__":
    main()
