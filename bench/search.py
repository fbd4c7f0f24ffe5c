"""Search benchmark: build an embedded index of N generated records, time a query mix.

    .venv/bin/python bench/search.py --records 1000000 [--queries 400] [--dir var/bench-search]
                                     [--reuse] [--repeat 3] [--cold]

Records are generated (realistic French text per thématique, positions around ~60 French
cities and in the countryside, eligibility zones of every grain). Prints the index build time,
p50/p95/p99 latency per query family and overall, and the same texts as a raw FTS5 MATCH
(`ORDER BY rank LIMIT 20`) for reference. Target: p95 < 50 ms at 1,000,000 records.
Wall and CPU time are both printed, with the load average (the machine may be shared);
`--repeat` keeps the best of several passes, `--cold` adds a pass on empty per-process caches.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import time
from pathlib import Path

from catalog.config import load_settings
from catalog.search import SearchQuery, build_document
from catalog.search.analysis import query_groups
from catalog.search.sqlite import SqliteBackend
from catalog.territories import CommuneInfo, Territories

# (code, nom, département, région, EPCI, lat, lon, weight)
CITIES = [
    ("75056", "Paris", "75", "11", "200054781", 48.8566, 2.3522, 20), ("93066", "Saint-Denis", "93", "11", "200054781", 48.9362, 2.3574, 4),
    ("13055", "Marseille", "13", "93", "200054807", 43.2965, 5.3698, 9), ("69123", "Lyon", "69", "84", "200046977", 45.7640, 4.8357, 8),
    ("31555", "Toulouse", "31", "76", "243100518", 43.6047, 1.4442, 6), ("06088", "Nice", "06", "93", "200030195", 43.7102, 7.2620, 4),
    ("44109", "Nantes", "44", "52", "244400404", 47.2184, -1.5536, 5), ("67482", "Strasbourg", "67", "44", "246700488", 48.5734, 7.7521, 4),
    ("34172", "Montpellier", "34", "76", "243400017", 43.6108, 3.8767, 4), ("33063", "Bordeaux", "33", "75", "243300316", 44.8378, -0.5792, 5),
    ("59350", "Lille", "59", "32", "200093201", 50.6292, 3.0573, 6), ("35238", "Rennes", "35", "53", "243500139", 48.1173, -1.6778, 4),
    ("51454", "Reims", "51", "44", "200067213", 49.2583, 4.0317, 2), ("42218", "Saint-Étienne", "42", "84", "244200770", 45.4397, 4.3872, 2),
    ("83137", "Toulon", "83", "93", "248300543", 43.1242, 5.9280, 2), ("76351", "Le Havre", "76", "28", "200084952", 49.4944, 0.1079, 2),
    ("38185", "Grenoble", "38", "84", "200040715", 45.1885, 5.7245, 3), ("21231", "Dijon", "21", "27", "242100410", 47.3220, 5.0415, 2),
    ("49007", "Angers", "49", "52", "244900015", 47.4784, -0.5632, 2), ("30189", "Nîmes", "30", "76", "243000643", 43.8367, 4.3601, 2),
    ("63113", "Clermont-Ferrand", "63", "84", "246300701", 45.7772, 3.0870, 2), ("72181", "Le Mans", "72", "52", "247200132", 48.0061, 0.1996, 2),
    ("29019", "Brest", "29", "53", "242900314", 48.3904, -4.4861, 2), ("37261", "Tours", "37", "24", "243700754", 47.3941, 0.6848, 2),
    ("80021", "Amiens", "80", "32", "248000531", 49.8941, 2.2958, 2), ("87085", "Limoges", "87", "75", "248719312", 45.8336, 1.2611, 2),
    ("74010", "Annecy", "74", "84", "200066793", 45.8992, 6.1294, 2), ("66136", "Perpignan", "66", "76", "200027183", 42.6887, 2.8948, 2),
    ("57463", "Metz", "57", "44", "200039865", 49.1193, 6.1757, 2), ("25056", "Besançon", "25", "27", "242500361", 47.2378, 6.0241, 2),
    ("45234", "Orléans", "45", "24", "244500468", 47.9030, 1.9093, 2), ("76540", "Rouen", "76", "28", "200023414", 49.4432, 1.0999, 2),
    ("14118", "Caen", "14", "28", "200065597", 49.1829, -0.3707, 2), ("54395", "Nancy", "54", "44", "245400676", 48.6921, 6.1844, 2),
    ("86194", "Poitiers", "86", "75", "200069854", 46.5802, 0.3404, 1), ("64445", "Pau", "64", "75", "200067254", 43.2951, -0.3708, 1),
    ("17300", "La Rochelle", "17", "75", "241700434", 46.1603, -1.1511, 1), ("2A004", "Ajaccio", "2A", "94", "242010056", 41.9192, 8.7386, 1),
    ("97411", "Saint-Denis (Réunion)", "974", "04", "249740119", -20.8821, 55.4507, 2), ("12202", "Rodez", "12", "76", "241200187", 44.3506, 2.5750, 1),
    ("23096", "Guéret", "23", "75", "200034825", 46.1714, 1.8717, 1), ("05061", "Gap", "05", "93", "200067825", 44.5594, 6.0786, 1),
]

THEMES = {
    "mobilite": (["mobilite--preparer-un-permis", "mobilite--acceder-a-un-vehicule", "mobilite--financer-ma-mobilite"],
                 ["permis de conduire", "code de la route", "auto-école sociale", "location de voiture", "vélo électrique",
                  "garage solidaire", "transport à la demande", "aide au carburant", "conduite accompagnée"]),
    "logement-hebergement": (["logement-hebergement--rechercher-une-solution-dhebergement-temporaire", "logement-hebergement--louer-un-logement"],
                             ["hébergement d'urgence", "logement social", "résidence sociale", "mise à l'abri", "impayés de loyer",
                              "foyer de jeunes travailleurs", "colocation solidaire"]),
    "trouver-un-emploi": (["trouver-un-emploi--repondre-a-des-offres-demploi", "trouver-un-emploi--convaincre-un-recruteur-en-entretien"],
                          ["offres d'emploi", "entretien d'embauche", "candidature spontanée", "job dating", "intérim", "recrutement"]),
    "numerique": (["numerique--maitriser-les-fondamentaux-du-numerique", "numerique--acquerir-un-equipement"],
                  ["atelier informatique", "ordinateur reconditionné", "démarches en ligne", "conseiller numérique", "accès internet"]),
    "famille": (["famille--garde-denfants", "famille--soutien-a-la-parentalite-et-a-leducation"],
                ["garde d'enfants", "crèche", "assistante maternelle", "soutien à la parentalité", "relais petite enfance"]),
    "sante": (["sante--acces-aux-soins", "sante--sante-mentale"],
              ["accès aux soins", "consultation médicale", "santé mentale", "bilan de santé", "complémentaire santé"]),
    "se-former": (["se-former--trouver-sa-formation"],
                  ["formation qualifiante", "apprentissage", "alternance", "remise à niveau", "titre professionnel"]),
    "equipement-et-alimentation": (["equipement-et-alimentation--alimentation"],
                                   ["épicerie solidaire", "colis alimentaire", "repas chauds", "vestiaire solidaire"]),
}
VERBS = ["Accompagnement pour", "Aide pour", "Atelier :", "Permanence :", "Conseils pour", "Service de", "Soutien :"]
FILLER = ["pour les personnes éloignées de l'emploi", "avec un conseiller dédié", "sur rendez-vous",
          "en lien avec France Travail", "pour les jeunes de 16 à 25 ans", "dans votre quartier",
          "accueil sans condition", "gratuit pour les bénéficiaires du RSA", "en petits groupes",
          "avec le soutien de la Région", "pour reprendre confiance", "accessible aux personnes handicapées"]
PUBLICS = ["jeunes", "demandeurs-emploi", "familles", "seniors", "beneficiaires-des-minimas-sociaux", "tous-publics",
           "femmes", "personnes-exilees"]
KINDS = ["service"] * 6 + ["structure", "formation", "aide", "solution-mobilite"]


def make_territories() -> Territories:
    t = Territories()
    for code, nom, dep, reg, epci, lat, lon, _w in CITIES:
        t.communes[code] = CommuneInfo(code=code, nom=nom, type="commune-actuelle", departement=dep,
                                       region=reg, epci=epci, latitude=lat, longitude=lon)
        t.departements[dep] = (dep, reg)
    return t


def generate(n: int, territories: Territories, seed: int = 42):
    rnd = random.Random(seed)
    cities, weights = CITIES, [c[-1] for c in CITIES]
    categories = list(THEMES)
    for i in range(n):
        city = rnd.choices(cities, weights)[0]
        code, nom, dep, reg, epci, lat, lon, _ = city
        if rnd.random() < 0.25:  # countryside: anywhere in metropolitan France
            lat, lon, code = rnd.uniform(43.0, 50.5), rnd.uniform(-1.5, 7.5), None
        else:
            lat, lon = lat + rnd.gauss(0, 0.12), lon + rnd.gauss(0, 0.16)
        cat = rnd.choice(categories)
        subs, phrases = THEMES[cat]
        theme = rnd.sample(subs, k=rnd.randint(1, len(subs)))
        p1, p2 = rnd.sample(phrases, 2)
        kind = rnd.choice(KINDS)
        roll = rnd.random()
        zone = ([] if roll < 0.4 else [dep] if roll < 0.65 else [reg] if roll < 0.75
                else [code or dep] if roll < 0.85 else ["france"] if roll < 0.95 else [epci])
        modes = ["a-distance"] if rnd.random() < 0.08 else (
            ["en-presentiel", "a-distance"] if rnd.random() < 0.1 else ["en-presentiel"])
        data = {
            "source": rnd.choice(["dora", "france-travail", "carif-idf", "aides-territoires", "mobilite"]),
            "id": f"bench--{i}",
            "nom": f"{rnd.choice(VERBS)} {p1}",
            "description": f"{p1.capitalize()} et {p2} {rnd.choice(FILLER)}, {rnd.choice(FILLER)}. "
                           f"Rendez-vous à {nom}.",
            "thematiques": theme,
            "publics": rnd.sample(PUBLICS, k=rnd.randint(1, 3)),
            "frais": [rnd.choice(["gratuit", "gratuit", "payant"])],
            "modes_accueil": modes,
            "type": rnd.choice(["accompagnement", "atelier", "aide-financiere", "information", "formation"]),
            "zone_eligibilite": zone,
            "latitude": round(lat, 5), "longitude": round(lon, 5),
            "score_qualite": round(rnd.random(), 2),
        }
        if code:
            data["code_insee"], data["commune"] = code, nom
        yield build_document(kind, data["id"], data, territories, source=data["source"])


def make_queries(count: int, seed: int = 7) -> list[tuple[str, SearchQuery]]:
    rnd = random.Random(seed)
    texts = [p for _subs, phrases in THEMES.values() for p in phrases] + [
        "aide au permis", "hébergement", "emploi jeunes", "formation alternance", "garde enfants"]
    out = []
    for i in range(count):
        city = rnd.choices(CITIES, [c[-1] for c in CITIES])[0]
        cat = rnd.choice(list(THEMES))
        text = rnd.choice(THEMES[cat][1]) if rnd.random() < 0.8 else rnd.choice(texts)
        family = ["texte+thématique+commune", "texte", "thématique+commune", "texte+commune+facettes"][i % 4]
        if family == "texte+thématique+commune":
            q = SearchQuery(text=text, thematiques=[cat], code_commune=city[0])
        elif family == "texte":
            q = SearchQuery(text=text)
        elif family == "thématique+commune":
            q = SearchQuery(thematiques=[rnd.choice(THEMES[cat][0])], code_commune=city[0], distance=20)
        else:
            q = SearchQuery(text=text, code_commune=city[0],
                            facets=["thematiques", "publics", "frais", "kinds"])
        out.append((family, q))
    return out


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def report(label: str, ms: list[float], cpu: list[float] | None = None) -> None:
    line = (f"  {label:<28} n={len(ms):<4} p50 {pct(ms, 50):7.1f} ms   p95 {pct(ms, 95):7.1f} ms"
            f"   p99 {pct(ms, 99):7.1f} ms")
    if cpu:
        line += f"   (CPU p50 {pct(cpu, 50):6.1f}, p95 {pct(cpu, 95):6.1f})"
    print(line)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"charge {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cœurs)"


def run(backend: SqliteBackend, queries: list[tuple[str, SearchQuery]], cold: bool = False):
    """Wall and CPU milliseconds per family, and the result sizes."""
    from catalog.search.reader import forget

    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    totals = []
    for family, q in queries:
        if cold:  # what a search pays right after a sync: every per-process cache dropped
            forget(str(backend.path))
        t0, c0 = time.perf_counter(), time.process_time()
        result = backend.search(q)
        wall.setdefault(family, []).append((time.perf_counter() - t0) * 1000)
        cpu.setdefault(family, []).append((time.process_time() - c0) * 1000)
        totals.append(result.total)
    return wall, cpu, totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--dir", type=Path, default=Path("var/bench-search"))
    parser.add_argument("--reuse", action="store_true", help="keep an index already built")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the queries this many times and report the best run")
    parser.add_argument("--cold", action="store_true",
                        help="also run every query on empty caches (as right after a sync)")
    args = parser.parse_args()
    settings = load_settings({"MAILLAGE_DATA_DIR": str(args.dir)})
    territories = make_territories()
    backend = SqliteBackend(settings, territories=territories)
    print(load())
    if not args.reuse:
        shutil.rmtree(args.dir, ignore_errors=True)
        start, cpu_start = time.perf_counter(), time.process_time()
        done = [0]

        def progress(n: int) -> None:
            done[0] += n
            if done[0] % 100_000 < n:
                print(f"    {done[0]:>9,} indexés, {time.perf_counter() - start:6.0f} s", flush=True)

        backend.rebuild(generate(args.records, territories), progress=progress)
        build, build_cpu = time.perf_counter() - start, time.process_time() - cpu_start
        size = sum(p.stat().st_size for p in args.dir.glob("search.sqlite*")) / 1e6
        print(f"index: {backend.count():,} fiches en {build:.0f} s "
              f"({backend.count() / build:,.0f} fiches/s ; CPU {build_cpu:.0f} s), {size:,.0f} Mo")
    queries = make_queries(args.queries)
    for _family, q in queries[:20]:  # warm the page cache, as a running server would be
        backend.search(q)
    runs = [run(backend, queries) for _ in range(args.repeat)]
    wall, cpu, totals = min(runs, key=lambda r: sum(sum(ms) for ms in r[0].values()))
    print(f"recherche ({len(queries)} requêtes, résultats médians {statistics.median(totals):,.0f}"
          f"{f', meilleure de {args.repeat} passes' if args.repeat > 1 else ''}) :")
    for family in wall:
        report(family, wall[family], cpu[family])
    report("ensemble", [m for ms in wall.values() for m in ms], [m for ms in cpu.values() for m in ms])
    if args.cold:
        wall, cpu, _ = run(backend, queries, cold=True)
        print("à froid (caches du processus vidés avant chaque requête, comme après une synchronisation) :")
        for family in wall:
            report(family, wall[family], cpu[family])
    # Reference: the same texts as a bare FTS5 MATCH, ranked, first page only.
    conn, g = backend.conn, backend._generation()
    raw = []
    for _family, q in queries:
        if not q.text:
            continue
        match = " AND ".join("(" + " OR ".join(f'"{" ".join(p)}"' for p in group) + ")"
                             for group in query_groups(q.text))
        t0 = time.perf_counter()
        conn.execute(f"SELECT rowid FROM ftx_{g} WHERE ftx_{g} MATCH ? ORDER BY rank LIMIT 20",
                     (match,)).fetchall()
        raw.append((time.perf_counter() - t0) * 1000)
    print("référence FTS5 brute (MATCH texte, ORDER BY rank LIMIT 20) :")
    report("MATCH seul", raw)
    print(load())


if __name__ == "__main__":
    main()
