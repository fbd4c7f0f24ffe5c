"""Render a kind's `README.md` from its `schema.json`: the documentation cannot drift from the
contract, because it is written from it (`python -m schemas.sync`; a test checks it is current)."""

from __future__ import annotations

import json

import schemas

TYPE_LABELS = {
    "string": "chaîne de caractères",
    "integer": "nombre entier",
    "number": "nombre décimal",
    "boolean": "booléen (`true` ou `false`)",
    "date": "date au format `AAAA-MM-JJ`",
    "array": "liste (tableau JSON dans une cellule CSV, ex. `[\"a\", \"b\"]`)",
    "object": "objet JSON",
}
# Referentiels longer than this are linked, not listed.
MAX_LISTED_VALUES = 25


def _code(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return f"`{text}`" if "`" not in text else f"`` {text} ``"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _constraints(field: dict) -> list[str]:
    lines = []
    c = field.get("constraints", {})
    item = field.get("arrayItem", {}).get("constraints", {})
    what = "éléments" if field["type"] == "array" else "caractères"
    if "minLength" in c and "maxLength" in c:
        lines.append(f"entre {c['minLength']} et {c['maxLength']} {what}")
    elif "minLength" in c:
        lines.append(f"au moins {c['minLength']} {what}")
    elif "maxLength" in c:
        lines.append(f"au plus {c['maxLength']} {what}")
    if "minimum" in c:
        lines.append(f"minimum {c['minimum']}")
    if "maximum" in c:
        lines.append(f"maximum {c['maximum']}")
    if "pattern" in c:
        lines.append(f"motif (expression régulière) {_code(c['pattern'])}")
    if "pattern" in item:
        lines.append(f"chaque élément suit le motif {_code(item['pattern'])}")
    if "minLength" in item or "maxLength" in item:
        lines.append(
            f"chaque élément compte entre {item.get('minLength', 0)} et "
            f"{item.get('maxLength', '∞')} caractères"
        )
    if field["type"] == "array":
        lines.append("éléments non vides")
    return lines


def _values(field: dict) -> list[str]:
    name = field.get("referentiel")
    enum = field.get("constraints", {}).get("enum") or field.get("arrayItem", {}).get(
        "constraints", {}
    ).get("enum")
    if not enum:
        return []
    link = f"[`{name}`](../referentiels/{name}.csv)" if name else None
    if name and len(enum) > MAX_LISTED_VALUES:
        return [f"- Valeurs : référentiel {link} ({len(enum)} valeurs)."]
    labels = schemas.referential_labels(name) if name else {}
    head = f"- Valeurs (référentiel {link}) :" if link else "- Valeurs :"
    return [head] + [
        f"  - {_code(value)}" + (f" : {labels[value]}" if labels.get(value) else "")
        for value in enum
    ]


def _checks_for(descriptor: dict, name: str) -> list[dict]:
    found = []
    for check in descriptor.get("custom_checks", []):
        params = check.get("params", {})
        columns = params.get("columns") or [params.get("column"), params.get("column2")]
        if name in columns:
            found.append(check)
    return found


def _json_schema_lines(node: dict, path: str = "", depth: int = 0) -> list[str]:
    lines = []
    for key, sub in node.get("properties", {}).items():
        kind = sub.get("type", "")
        detail = []
        if "enum" in sub:
            detail.append("valeurs " + ", ".join(_code(v) for v in sub["enum"]))
        if sub.get("items", {}).get("enum"):
            ref = sub["items"].get("referentiel")
            if ref:
                detail.append(f"valeurs du référentiel [`{ref}`](../referentiels/{ref}.csv)")
            else:
                detail.append("valeurs " + ", ".join(_code(v) for v in sub["items"]["enum"]))
        if sub.get("required"):
            detail.append("clés obligatoires " + ", ".join(_code(k) for k in sub["required"]))
        if "minimum" in sub:
            detail.append(f"minimum {sub['minimum']}")
        if "maximum" in sub:
            detail.append(f"maximum {sub['maximum']}")
        extra = f" ({'; '.join(detail)})" if detail else ""
        lines.append(f"{'  ' * depth}- `{path}{key}` ({kind}) : {sub.get('description', '')}{extra}")
        if kind == "object":
            lines.extend(_json_schema_lines(sub, f"{path}{key}.", depth + 1))
        elif kind == "array" and sub.get("items", {}).get("properties"):
            lines.extend(_json_schema_lines(sub["items"], f"{path}{key}[].", depth + 1))
    return lines


def render_readme(kind: str, descriptor: dict | None = None) -> str:
    d = descriptor if descriptor is not None else schemas.load_schema(kind)
    out: list[str] = [
        f"# {d['title']}",
        "",
        "<!-- Fichier généré depuis schema.json par `python -m schemas.sync` : ne pas modifier. -->",
        "",
        d["description"],
        "",
        f"- Nom du schéma : `{d['name']}` — version {d['version']}",
        (
            "- Format : [Table Schema](https://specs.frictionlessdata.io/table-schema/) "
            "([`schema.json`](schema.json)), avec des contrôles complémentaires "
            "(`custom_checks`, à la manière de Validata)"
        ),
        (
            "- Exemples : [`exemple-valide.csv`](exemple-valide.csv), "
            "[`exemple-invalide.csv`](exemple-invalide.csv)"
        ),
        "- Vérifier un fichier : `maillage validate FICHIER --schema " + kind + "`",
        "",
        "## Conventions",
        "",
        "- Fichiers CSV en UTF-8, séparateur `,` ou `;` ; une cellule vide vaut une valeur absente.",
        (
            "- Les colonnes peuvent être dans n'importe quel ordre ; les colonnes facultatives "
            "peuvent manquer, les colonnes inconnues sont ignorées (`fieldsMatch: partial`)."
        ),
        "- Une liste s'écrit comme un tableau JSON dans la cellule : `[\"femmes\", \"jeunes\"]`.",
        "- Un objet s'écrit comme un objet JSON dans la cellule.",
        "- Un identifiant `id` est de la forme `{source}--{identifiant chez la source}`.",
        "",
        "## Liste des champs",
        "",
        "| Champ | Titre | Type | Obligatoire |",
        "| --- | --- | --- | --- |",
    ]
    for field in d["fields"]:
        required = "oui" if field.get("constraints", {}).get("required") else "non"
        out.append(
            f"| [`{field['name']}`](#{field['name'].replace('_', '_')}) | {_cell(field['title'])} | "
            f"{field['type']} | {required} |"
        )
    out += ["", "## Description des champs", ""]
    for field in d["fields"]:
        required = field.get("constraints", {}).get("required", False)
        out += [f"### {field['name']}", "", f"**{field['title']}**", "", field["description"], ""]
        out.append(f"- Type : {TYPE_LABELS[field['type']]}")
        out.append(f"- Obligatoire : {'oui' if required else 'non'}")
        for line in _constraints(field):
            out.append(f"- Contrainte : {line}")
        out += _values(field)
        if "example" in field:
            out.append(f"- Exemple : {_code(field['example'])}")
        for check in _checks_for(d, field["name"]):
            out.append(f"- Contrôle `{check['name']}` : {check['description']}")
        out.append("")
    out += ["## Contrôles complémentaires", ""]
    out.append(
        "Ce que Table Schema ne sait pas exprimer est déclaré dans `custom_checks` et vérifié par "
        "Maillage (`catalog/validation/checks.py`) :"
    )
    out.append("")
    for check in d.get("custom_checks", []):
        params = ", ".join(
            f"{key} = {_code(value)}" for key, value in check["params"].items() if key != "schema"
        )
        out.append(f"- `{check['name']}` ({params}) : {check['description']}")
        if "schema" in check["params"]:
            out.append("")
            out.append("  Forme attendue de l'objet :")
            out.append("")
            out += ["  " + line for line in _json_schema_lines(check["params"]["schema"])]
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
