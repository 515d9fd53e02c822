"""The intake service's `ess` commands, over its HTTP API: `ess submit FILE.json` and `ess project file
ID` (intake's own file, personal data included; `ess project show ID` tells the project as the stream
does)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

StateDir = Annotated[Path, typer.Option("--state-dir", help="Where `ess up` keeps keys, data, logs.")]
Pilot = Annotated[str, typer.Option("--pilot", help="The pilot whose intake service to use.")]
Url = Annotated[str | None, typer.Option("--url", envvar="ESS_INTAKE_URL", help="(default: from run.json)")]
TokenFile = Annotated[
    Path | None,
    typer.Option("--token-file", envvar="ESS_TOKEN_FILE", help="(default: the pilot's person of the role)"),
]
# The personal data of a holder's file that `ess privacy rectify` corrects, as dotted fields of a correction.
RECTIFIABLE = (
    "organisation.name",
    "contact.name",
    "contact.email",
    "contact.phone",
    "project.title",
    "project.description",
)
AsJson = Annotated[bool, typer.Option("--json", help="Print the service's JSON answer.")]


def submit_command(
    file: Annotated[Path, typer.Argument(help="The submission: the JSON body of POST /projects.")],
    idempotency_key: Annotated[
        str | None, typer.Option("--idempotency-key", help="(default: derived from the file's bytes)")
    ] = None,
    state_dir: StateDir = Path(".ess"),
    pilot: Pilot = "region",
    url: Url = None,
    token_file: TokenFile = None,
    as_json: AsJson = False,
) -> None:
    """Submit a project to the intake service. Sending the same file again returns the first answer."""
    from ess_ops.cli import intake_client, targets

    target = targets.endpoint(state_dir, pilot, "intake", url, token_file, role="admin")
    raise typer.Exit(intake_client.submit(target, file, idempotency_key, as_json))


def project_file_command(
    project_id: Annotated[str, typer.Argument(help="The project's id.")],
    state_dir: StateDir = Path(".ess"),
    pilot: Pilot = "region",
    url: Url = None,
    token_file: TokenFile = None,
    as_json: AsJson = False,
) -> None:
    """The project's file at intake (holder, contact, budget, files, orientations) and its events."""
    from ess_ops.cli import intake_client, targets

    target = targets.endpoint(state_dir, pilot, "intake", url, token_file, role="instructor")
    raise typer.Exit(intake_client.show_file(target, project_id, as_json))


def link_issue_command(
    project_id: Annotated[str, typer.Argument(help="The project's id.")],
    state_dir: StateDir = Path(".ess"),
    pilot: Pilot = "region",
    url: Url = None,
    token_file: TokenFile = None,
    as_json: AsJson = False,
) -> None:
    """Give the holder a new private link, valid for the configured period; the previous one stops working."""
    from ess_ops.cli import intake_client, targets

    target = targets.endpoint(state_dir, pilot, "intake", url, token_file, role="instructor")
    raise typer.Exit(intake_client.follow_link(target, project_id, revoke=False, as_json=as_json))


def link_revoke_command(
    project_id: Annotated[str, typer.Argument(help="The project's id.")],
    state_dir: StateDir = Path(".ess"),
    pilot: Pilot = "region",
    url: Url = None,
    token_file: TokenFile = None,
    as_json: AsJson = False,
) -> None:
    """Stop the holder's private link at once (`ess intake link issue` gives a new one)."""
    from ess_ops.cli import intake_client, targets

    target = targets.endpoint(state_dir, pilot, "intake", url, token_file, role="instructor")
    raise typer.Exit(intake_client.follow_link(target, project_id, revoke=True, as_json=as_json))


def access_log_command(
    project_id: Annotated[str, typer.Option("--project", help="The project's id.")],
    state_dir: StateDir = Path(".ess"),
    pilot: Pilot = "region",
    url: Url = None,
    token_file: TokenFile = None,
    as_json: AsJson = False,
) -> None:
    """Who read the project's personal data at its intake: when, the reader's pilot and id, which fields."""
    from ess_ops.cli import intake_client, targets

    target = targets.endpoint(state_dir, pilot, "intake", url, token_file, role="admin")
    raise typer.Exit(intake_client.access_log(target, project_id, as_json))


def erase_command(
    subject: Annotated[str, typer.Option("--subject", help="The holder's account or a contact's e-mail.")],
    state_dir: StateDir = Path(".ess"),
    pilot: Pilot = "region",
    url: Url = None,
    token_file: TokenFile = None,
    as_json: AsJson = False,
) -> None:
    """Erase a person's data on request (GDPR art. 17) at the intake that holds their files, then wait
    until every service of this `ess up` shows the destroyed texts erased (their acknowledgement)."""
    from ess_ops.cli import privacy_client, targets

    target = targets.endpoint(state_dir, pilot, "intake", url, token_file, role="admin")
    readers = [] if url else privacy_client.running_readers(state_dir)
    raise typer.Exit(privacy_client.erase(target, subject, readers, as_json))


def rectify_command(
    project_id: Annotated[str, typer.Option("--project", help="The project's id.")],
    field: Annotated[str, typer.Option("--field", help="What to correct: " + ", ".join(RECTIFIABLE) + ".")],
    value: Annotated[str, typer.Option("--value", help="The right value.")],
    state_dir: StateDir = Path(".ess"),
    pilot: Pilot = "region",
    url: Url = None,
    token_file: TokenFile = None,
) -> None:
    """Correct one field of a person's data in a project's file (GDPR art. 16), as a correction of the file:
    a new title is sealed under a new key, and the old key destroyed, so the old text is erased everywhere."""
    from ess_ops.cli import privacy_client, targets
    from ess_ops.cli.console import fail

    if field not in RECTIFIABLE:
        fail(f"--field {field!r}: one of {', '.join(RECTIFIABLE)}")
    target = targets.endpoint(state_dir, pilot, "intake", url, token_file, role="admin")
    raise typer.Exit(privacy_client.rectify(target, project_id, field, value))


def export_command(
    subject: Annotated[str, typer.Option("--subject", help="The holder's account or a contact's e-mail.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the JSON here (default: print it).")
    ] = None,
    state_dir: StateDir = Path(".ess"),
    pilot: Pilot = "region",
    url: Url = None,
    token_file: TokenFile = None,
) -> None:
    """Everything the intake holds about a person (GDPR art. 15), as JSON: their files, who read them,
    to whom the projects' data went."""
    from ess_ops.cli import privacy_client, targets

    target = targets.endpoint(state_dir, pilot, "intake", url, token_file, role="admin")
    raise typer.Exit(privacy_client.export(target, subject, out))


IMPORT_DS_HELP = """Import a démarche of Démarches Simplifiées (Démarche Numérique) into intake now, and
follow its progress. The intake service runs the import: it reads the dossiers changed since its last
run, a page at a time, and submits (on the day each was filed on DS), corrects, withdraws or closes the
matching projects through its own acts; a dossier read again at the same revision changes nothing. A
run that stops (DS down, intake restarted) resumes from the last page done. A dossier that does not map
is kept as a rejection: `--report` lists them, each with its reason in French naming the champ and the
rule.

Intake's settings: ESS_INTAKE_DS_MAPPINGS (a folder of mapping files, one per démarche),
ESS_INTAKE_DS_TOKEN_FILE (DS's API token, read at each run), ESS_INTAKE_DS_URL,
ESS_INTAKE_DS_REQUESTS_PER_SECOND (4), ESS_INTAKE_DS_PAGE_SIZE (100), ESS_INTAKE_DS_EVERY_MINUTES (0:
only when asked; else every démarche that often).

The mapping file (TOML) says, for each field of intake's submission, where it comes from: a champ, by
its label exactly as on the démarche and its DS type (text, textarea, email, phone, integer_number,
decimal_number, date, checkbox, yes_no, drop_down_list, multiple_drop_down_list, departements, siret);
the demandeur (siret, raison_sociale); or a fixed `value`. A choice list maps each option on DS to
intake's word. Budget lines are one champ each with its category; they add up to the total. Intake
checks the file when it starts (an unknown field, a type that cannot give the field, a word intake does
not know) and at each run against the démarche (an unknown field label, a type mismatch): the error
names the field. A complete example: deploy/ds-mappings/84731-appel-a-projets-ess.toml; in short:

\b
demarche = 84731
title = "Appel à projets « Entreprendre autrement » 2026"
\\[fields."organisation.name"]
demandeur = "raison_sociale"
\\[fields."organisation.siret"]
demandeur = "siret"
\\[fields."organisation.legal_form"]
champ = "Statut juridique de la structure"
type = "drop_down_list"
values = { "Association loi 1901" = "association", "SCOP" = "scop", "SCIC" = "scic" }
\\[fields."organisation.department"]
champ = "Département du siège"
type = "departements"
\\[fields."contact.email"]
champ = "Courriel de la personne référente"
type = "email"
\\[fields."project.title"]
champ = "Intitulé du projet"
type = "text"
\\[fields."project.budget.total"]
champ = "Budget prévisionnel total (€)"
type = "decimal_number"
\\[fields."project.planned_jobs"]
champ = "Nombre d'emplois créés ou maintenus"
type = "integer_number"
\\[\\[budget_lines]]
champ = "Dépenses de personnel (€)"
type = "decimal_number"
category = "staff"
label = "Salaires et charges"

and likewise contact.name, contact.phone, project.description, project.stage, project.third_place,
project.needs, project.start_on (organisation.esus_agreement, organisation.epci_siren and
organisation.being_created when the démarche asks them)."""


def import_ds_command(
    demarche: Annotated[int, typer.Option("--demarche", min=1, help="The démarche's number on DS.")],
    report: Annotated[
        bool, typer.Option("--report", help="List the dossiers that did not map, and why; import nothing.")
    ] = False,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Follow the run to its end.")] = True,
    state_dir: StateDir = Path(".ess"),
    pilot: Pilot = "region",
    url: Url = None,
    token_file: TokenFile = None,
    as_json: AsJson = False,
) -> None:
    from ess_ops.cli import intake_client, targets

    target = targets.endpoint(state_dir, pilot, "intake", url, token_file, role="instructor")
    if report:
        raise typer.Exit(intake_client.ds_report(target, demarche, as_json))
    raise typer.Exit(intake_client.import_ds(target, demarche, wait, as_json))


def register(app: typer.Typer) -> None:
    """Add this service's commands to `ess`. Keep imports inside the commands: `ess` starts fast."""
    app.command("submit")(submit_command)
    _project_group(app).command("file")(project_file_command)
    links = typer.Typer(no_args_is_help=True, help="The holder's private link to a project.")
    links.command("issue")(link_issue_command)
    links.command("revoke")(link_revoke_command)
    group = typer.Typer(no_args_is_help=True, help="The intake service.")
    group.add_typer(links, name="link")
    group.command("import-ds", help=IMPORT_DS_HELP)(import_ds_command)
    app.add_typer(group, name="intake")
    privacy = typer.Typer(no_args_is_help=True, help="Personal data: who read it, export, rectify, erase.")
    privacy.command("access-log")(access_log_command)
    privacy.command("export")(export_command)
    privacy.command("rectify")(rectify_command)
    privacy.command("erase")(erase_command)
    app.add_typer(privacy, name="privacy")


def _project_group(app: typer.Typer) -> typer.Typer:
    """`ess project`, shared with the stream's view of a project; created if this `ess` lacks it."""
    for group in app.registered_groups:
        if group.name == "project" and group.typer_instance is not None:
            return group.typer_instance
    group_app = typer.Typer(no_args_is_help=True, help="One project.")
    app.add_typer(group_app, name="project")
    return group_app
