"""The information notice a holder reads before submitting (GDPR art. 13), in French, served without a
token by the pilot whose intake receives the file, with the contact and periods of intake's settings
(`ESS_INTAKE_PRIVACY_CONTACT`: the data-protection officer's address)."""

from __future__ import annotations

import html

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from ess_contracts.reference import PILOT_INFO
from ess_intake.service_layer.context import Intake

NOTICE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Protection de vos données</title></head>
<body><main>
<h1>Protection de vos données personnelles</h1>
<p>Responsable du traitement : {controller}. Délégué à la protection des données : {contact}.</p>
<h2>Finalités</h2>
<p>Instruire votre demande au titre de la stratégie régionale de l'économie sociale et solidaire 2022-2028
des Pays de la Loire : vérifier son éligibilité, l'orienter vers un réseau d'accompagnement, et permettre aux
financeurs de la stratégie (Région, État, Banque des Territoires) de décider de leurs aides. Base légale :
mission d'intérêt public.</p>
<h2>Données et destinataires</h2>
<p>Le nom de votre organisation, les coordonnées de votre contact, la description du projet, les libellés du
budget et vos pièces jointes restent chez {controller}. Les instructeurs des autres financeurs peuvent les
consulter ici ; chaque consultation est enregistrée. Les financeurs et les réseaux reçoivent les données du
projet sans données personnelles : SIRET, forme juridique, département, besoins, montants du budget, et
l'empreinte de vos pièces jointes. N'indiquez pas de données personnelles dans le titre du projet.</p>
<h2>Durées de conservation</h2>
<p>Les coordonnées du contact sont effacées {retention} jours après la fin du dossier. Le lien de suivi
qui vous est remis fonctionne {link} jours ; l'instructeur peut vous en donner un nouveau.</p>
<h2>Vos droits</h2>
<p>Vous pouvez accéder à vos données, les faire rectifier ou effacer, vous opposer à leur traitement ou en
demander la limitation, en écrivant à {contact}. Vous pouvez aussi saisir la CNIL (www.cnil.fr).</p>
</main></body></html>
"""


def privacy_router(intake: Intake, pilot: str) -> APIRouter:
    router = APIRouter(tags=["privacy"])
    controller = next(p.name for p in PILOT_INFO if p.code == pilot)

    @router.get("/privacy/notice", response_class=HTMLResponse)
    async def notice() -> HTMLResponse:
        """The information notice, in French, for holders before they submit (no token)."""
        text = NOTICE.format(
            controller=html.escape(controller),
            contact=html.escape(intake.config.privacy_contact),
            retention=intake.config.contact_retention_days,
            link=intake.config.link_ttl_days,
        )
        return HTMLResponse(text)

    return router
