"""Writes the data·inclusion v1 demo files: `structures.json` and `services.csv`.

Hand-written lists composed deterministically (same output at every run; no randomness):
places (real communes of Seine-Saint-Denis, Paris, Lyon, Marseille and Lille with their INSEE
codes, postal codes, EPCI and approximate coordinates), kinds of structures (mission locale,
France Travail, CCAS, chantier d'insertion, garage solidaire…) and, for each kind, the services
such a structure typically offers. Names of associations and every contact detail are fictional
(telephone numbers in the ranges ARCEP keeps for fiction, addresses `exemple.fr`).

    python demo/datainclusion/make_demo.py    # rewrites the two files beside this script
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = "maillage-demo"


@dataclass(frozen=True)
class Place:
    commune: str  # as written on an envelope
    code_insee: str  # the commune's (or the arrondissement's) INSEE code
    code_postal: str
    latitude: float
    longitude: float
    departement: str
    epci: str  # SIREN of the EPCI / métropole
    city_code: str  # the commune's code for zones (Paris, Lyon, Marseille: the whole city)
    streets: tuple[str, ...]
    phone: str  # fictional range of the area


IDF_PHONE, SUD_PHONE, NORD_PHONE = "01 99 00", "04 65 71", "03 53 20"
PLAINE_COMMUNE, EST_ENSEMBLE, TERRES_ENVOL, GPGE = "200057867", "200057875", "200058097", "200058790"
GRAND_PARIS, LYON_METRO, AMP, MEL = "200054781", "200046977", "200054807", "200093201"

PLACES = {
    "saint-denis": Place("Saint-Denis", "93066", "93200", 48.9362, 2.3574, "93", PLAINE_COMMUNE, "93066",
                         ("rue de la République", "boulevard Jules Guesde", "rue Gabriel Péri"), IDF_PHONE),
    "aubervilliers": Place("Aubervilliers", "93001", "93300", 48.9146, 2.3821, "93", PLAINE_COMMUNE, "93001",
                           ("avenue de la République", "rue du Moutier", "boulevard Anatole France"), IDF_PHONE),
    "saint-ouen": Place("Saint-Ouen-sur-Seine", "93070", "93400", 48.9116, 2.3340, "93", PLAINE_COMMUNE, "93070",
                        ("avenue Gabriel Péri", "rue des Rosiers"), IDF_PHONE),
    "la-courneuve": Place("La Courneuve", "93027", "93120", 48.9322, 2.3967, "93", PLAINE_COMMUNE, "93027",
                          ("avenue Paul Vaillant-Couturier", "rue de la Convention"), IDF_PHONE),
    "montreuil": Place("Montreuil", "93048", "93100", 48.8638, 2.4485, "93", EST_ENSEMBLE, "93048",
                       ("rue de Paris", "boulevard Rouget de Lisle", "rue Étienne Marcel"), IDF_PHONE),
    "bobigny": Place("Bobigny", "93008", "93000", 48.9077, 2.4397, "93", EST_ENSEMBLE, "93008",
                     ("rue de l'Union", "avenue Jean Jaurès"), IDF_PHONE),
    "bondy": Place("Bondy", "93010", "93140", 48.9022, 2.4828, "93", EST_ENSEMBLE, "93010",
                   ("avenue Gallieni", "rue Jules Guesde"), IDF_PHONE),
    "aulnay": Place("Aulnay-sous-Bois", "93005", "93600", 48.9386, 2.4973, "93", TERRES_ENVOL, "93005",
                    ("boulevard de Strasbourg", "rue Jacques Duclos"), IDF_PHONE),
    "sevran": Place("Sevran", "93071", "93270", 48.9389, 2.5275, "93", TERRES_ENVOL, "93071",
                    ("avenue du Général Leclerc", "rue Gabriel Péri"), IDF_PHONE),
    "clichy-sous-bois": Place("Clichy-sous-Bois", "93014", "93390", 48.9102, 2.5459, "93", GPGE, "93014",
                              ("allée Maurice Audin", "boulevard Émile Zola"), IDF_PHONE),
    "paris-10": Place("Paris", "75110", "75010", 48.8762, 2.3607, "75", GRAND_PARIS, "75056",
                      ("rue du Faubourg Saint-Denis", "boulevard de Magenta"), IDF_PHONE),
    "paris-13": Place("Paris", "75113", "75013", 48.8283, 2.3623, "75", GRAND_PARIS, "75056",
                      ("avenue d'Italie", "rue de Tolbiac"), IDF_PHONE),
    "paris-18": Place("Paris", "75118", "75018", 48.8925, 2.3444, "75", GRAND_PARIS, "75056",
                      ("rue Marx Dormoy", "boulevard Barbès", "rue Ordener"), IDF_PHONE),
    "paris-19": Place("Paris", "75119", "75019", 48.8871, 2.3847, "75", GRAND_PARIS, "75056",
                      ("avenue de Flandre", "rue de Crimée"), IDF_PHONE),
    "paris-20": Place("Paris", "75120", "75020", 48.8634, 2.4011, "75", GRAND_PARIS, "75056",
                      ("rue des Pyrénées", "boulevard de Belleville"), IDF_PHONE),
    "lyon-7": Place("Lyon", "69387", "69007", 45.7457, 4.8422, "69", LYON_METRO, "69123",
                    ("avenue Jean Jaurès", "rue de Marseille"), SUD_PHONE),
    "lyon-8": Place("Lyon", "69388", "69008", 45.7342, 4.8695, "69", LYON_METRO, "69123",
                    ("avenue des États-Unis", "rue Marius Berliet"), SUD_PHONE),
    "lyon-9": Place("Lyon", "69389", "69009", 45.7743, 4.8059, "69", LYON_METRO, "69123",
                    ("place Valmy", "rue Sergent Michel Berthet"), SUD_PHONE),
    "venissieux": Place("Vénissieux", "69259", "69200", 45.6975, 4.8867, "69", LYON_METRO, "69259",
                        ("avenue Marcel Houël", "boulevard Ambroise Croizat"), SUD_PHONE),
    "villeurbanne": Place("Villeurbanne", "69266", "69100", 45.7719, 4.8902, "69", LYON_METRO, "69266",
                          ("cours Émile Zola", "rue Francis de Pressensé"), SUD_PHONE),
    "vaulx-en-velin": Place("Vaulx-en-Velin", "69256", "69120", 45.7785, 4.9186, "69", LYON_METRO, "69256",
                            ("avenue Gabriel Péri", "rue Émile Zola"), SUD_PHONE),
    "marseille-1": Place("Marseille", "13201", "13001", 43.2999, 5.3841, "13", AMP, "13055",
                         ("cours Belsunce", "rue d'Aubagne"), SUD_PHONE),
    "marseille-3": Place("Marseille", "13203", "13003", 43.3120, 5.3802, "13", AMP, "13055",
                         ("boulevard National", "rue Félix Pyat"), SUD_PHONE),
    "marseille-13": Place("Marseille", "13213", "13013", 43.3493, 5.4322, "13", AMP, "13055",
                          ("avenue de Château-Gombert", "boulevard Jean Moulin"), SUD_PHONE),
    "marseille-14": Place("Marseille", "13214", "13014", 43.3451, 5.3928, "13", AMP, "13055",
                          ("avenue Salvador Allende", "chemin de Sainte-Marthe"), SUD_PHONE),
    "marseille-15": Place("Marseille", "13215", "13015", 43.3590, 5.3640, "13", AMP, "13055",
                          ("boulevard Henri Barnier", "chemin de la Bigotte"), SUD_PHONE),
    "lille": Place("Lille", "59350", "59000", 50.6292, 3.0573, "59", MEL, "59350",
                   ("rue Pierre Mauroy", "boulevard de la Liberté", "rue d'Arras"), NORD_PHONE),
    "lille-fives": Place("Lille", "59350", "59800", 50.6310, 3.0900, "59", MEL, "59350",
                         ("rue Pierre Legrand", "rue de Lannoy"), NORD_PHONE),
    "roubaix": Place("Roubaix", "59512", "59100", 50.6942, 3.1746, "59", MEL, "59512",
                     ("Grand'Rue", "boulevard Gambetta"), NORD_PHONE),
    "tourcoing": Place("Tourcoing", "59599", "59200", 50.7239, 3.1612, "59", MEL, "59599",
                       ("rue de Lille", "boulevard Gambetta"), NORD_PHONE),
    "villeneuve-d-ascq": Place("Villeneuve-d'Ascq", "59009", "59650", 50.6233, 3.1450, "59", MEL, "59009",
                               ("boulevard de Valmy", "rue Jean Jaurès"), NORD_PHONE),
}


@dataclass(frozen=True)
class Offer:
    """A service a kind of structure typically offers."""

    nom: str
    description: str
    type: str
    thematiques: tuple[str, ...]
    publics: tuple[str, ...] = ("tous-publics",)
    frais: str = "gratuit"
    frais_precisions: str = ""
    zone: str = "commune"  # commune | epci | departement | france
    accueil: tuple[str, ...] = ("en-presentiel",)
    conditions: str = ""
    hours: tuple[float, int] | None = None  # hours a week, weeks


O = Offer
MISSION_LOCALE = (
    O("Contrat d'engagement jeune", "Un accompagnement intensif de six à douze mois avec un conseiller "
      "référent, au moins quinze heures d'activités par semaine et une allocation selon les ressources.",
      "accompagnement", ("trouver-un-emploi--repondre-a-des-offres-demploi",
                         "choisir-un-metier--confirmer-son-choix-de-metier"), ("jeunes",), zone="epci",
      conditions="Avoir entre 16 et 25 ans (29 ans en situation de handicap), sans emploi ni formation.",
      hours=(15, 26)),
    O("Atelier CV et lettre de motivation", "Deux matinées en petit groupe pour construire un CV clair, "
      "écrire une lettre adaptée à chaque offre et se préparer aux questions des recruteurs.", "atelier",
      ("preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation",), ("jeunes",)),
    O("Aide au financement du permis de conduire", "Une aide financière pour le code et la conduite, "
      "mobilisée par le conseiller pour les jeunes dont le projet professionnel exige le permis.",
      "aide-financiere", ("mobilite--preparer-un-permis", "mobilite--financer-ma-mobilite"), ("jeunes",),
      zone="epci"),
    O("Point information logement jeunes", "Information sur la recherche d'un logement, les aides au loyer, "
      "la garantie Visale et les résidences pour jeunes travailleurs.", "information",
      ("logement-hebergement--sinformer-sur-les-demarches-liees-a-lacces-au-logement",
       "logement-hebergement--louer-un-logement"), ("jeunes",), accueil=("en-presentiel", "a-distance")),
    O("Parrainage vers l'emploi", "Un parrain ou une marraine en activité accompagne le jeune pendant six "
      "mois : réseau, codes de l'entreprise, préparation des entretiens.", "accompagnement",
      ("preparer-sa-candidature--developper-son-reseau", "trouver-un-emploi--convaincre-un-recruteur-en-entretien"),
      ("jeunes", "residents-qpv-frr"), zone="epci"),
    O("Découverte des métiers en entreprise", "Des immersions de quelques jours en entreprise pour découvrir "
      "un métier avant de s'engager dans une formation.", "accompagnement",
      ("choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite",), ("jeunes",)),
)
FRANCE_TRAVAIL = (
    O("Accompagnement global emploi et social", "Un accompagnement conjoint par un conseiller France Travail "
      "et un travailleur social du Département quand des difficultés sociales freinent le retour à l'emploi.",
      "accompagnement", ("trouver-un-emploi--repondre-a-des-offres-demploi",
                         "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits"),
      ("demandeurs-emploi", "beneficiaires-des-minimas-sociaux"), zone="departement"),
    O("Atelier réussir son entretien d'embauche", "Simulations d'entretien filmées et conseils personnalisés "
      "pour présenter son parcours et ses compétences avec assurance.", "atelier",
      ("trouver-un-emploi--convaincre-un-recruteur-en-entretien",), ("demandeurs-emploi",)),
    O("Information sur la création d'entreprise", "Réunion d'information sur les étapes de la création, le "
      "statut de micro-entrepreneur et les aides au démarrage (ARCE, ACRE).", "information",
      ("creer-une-entreprise--definir-son-projet-de-creation-dentreprise",), ("demandeurs-emploi",),
      accueil=("a-distance",), zone="france"),
    O("Aide à la mobilité pour la reprise d'emploi", "Prise en charge d'une partie des frais de déplacement, "
      "de repas ou d'hébergement pour se rendre à un entretien, un concours ou une formation éloignés.",
      "aide-financiere", ("mobilite--financer-ma-mobilite",), ("demandeurs-emploi",), zone="france",
      conditions="Être inscrit à France Travail ; demande à faire avant le déplacement."),
    O("Prise en main de son espace personnel en ligne", "Un atelier pour actualiser sa situation, déposer des "
      "documents et répondre aux offres depuis son espace personnel et l'application mobile.", "atelier",
      ("numerique--acceder-a-des-services-en-ligne",), ("demandeurs-emploi",)),
    O("Préparation opérationnelle à l'emploi", "Une formation courte financée avant l'embauche, pour acquérir "
      "les compétences demandées par un employeur qui recrute.", "formation",
      ("se-former--trouver-sa-formation", "trouver-un-emploi--repondre-a-des-offres-demploi"),
      ("demandeurs-emploi",), zone="departement", hours=(35, 10)),
)
CCAS = (
    O("Domiciliation administrative", "Une adresse pour recevoir son courrier et faire valoir ses droits "
      "quand on n'a pas de domicile stable.", "accompagnement",
      ("difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",),
      ("personnes-en-situation-durgence",), conditions="Avoir un lien avec la commune."),
    O("Aide alimentaire d'urgence", "Des colis alimentaires et des bons d'achat accordés après un entretien "
      "avec un travailleur social.", "aide-materielle", ("equipement-et-alimentation--alimentation",),
      ("personnes-en-situation-durgence", "familles")),
    O("Accompagnement budgétaire", "Des rendez-vous avec une conseillère en économie sociale et familiale "
      "pour faire le point sur son budget et éviter les impayés.", "accompagnement",
      ("difficultes-financieres--ameliorer-sa-gestion-budgetaire",
       "difficultes-financieres--prevenir-une-degradation-de-la-situation-financiere")),
    O("Accès aux droits et aux prestations sociales", "Aide pour constituer les dossiers de RSA, de "
      "complémentaire santé solidaire, d'aide au logement ou d'allocation personnalisée d'autonomie.",
      "accompagnement", ("difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",
                         "sante--acces-aux-soins")),
    O("Aide facultative pour les factures d'énergie", "Une aide ponctuelle pour régler une facture "
      "d'électricité ou de gaz en retard, décidée en commission.", "aide-financiere",
      ("logement-hebergement--se-maintenir-dans-le-logement",
       "difficultes-financieres--situation-dendettement-surendettement"),
      ("beneficiaires-des-minimas-sociaux", "familles", "seniors"), conditions="Sous conditions de ressources."),
    O("Ateliers de lien social pour les seniors", "Sorties, repas partagés et ateliers mémoire pour rompre "
      "l'isolement des personnes âgées.", "atelier", ("remobilisation--lien-social",), ("seniors",)),
)
CHANTIER = (
    O("Contrat d'insertion en espaces verts", "Un contrat à durée déterminée d'insertion de quatre à "
      "vingt-quatre mois : entretien d'espaces verts, encadrement technique et accompagnement "
      "socioprofessionnel.", "accompagnement", ("trouver-un-emploi--repondre-a-des-offres-demploi",
                                               "choisir-un-metier--identifier-ses-points-forts-et-ses-competences"),
      ("beneficiaires-des-minimas-sociaux", "demandeurs-emploi"), zone="epci",
      conditions="Sur orientation d'un prescripteur (France Travail, mission locale, Département).", hours=(26, 52)),
    O("Remise à niveau en français à visée professionnelle", "Des cours de français oral et écrit liés aux "
      "situations de travail, pour les salariés du chantier et les personnes accompagnées.", "formation",
      ("lecture-ecriture-calcul--maitriser-le-francais",), ("demandeurs-emploi", "personnes-exilees"),
      hours=(6, 20)),
    O("Accompagnement socioprofessionnel", "Un suivi individuel pendant le contrat : santé, logement, "
      "mobilité, projet professionnel et recherche d'emploi à la sortie.", "accompagnement",
      ("preparer-sa-candidature--organiser-ses-demarches-de-recherche-demploi", "remobilisation--bien-etre-confiance-en-soi"),
      ("beneficiaires-des-minimas-sociaux",)),
    O("Découverte des métiers du bâtiment", "Une semaine sur chantier école pour découvrir la peinture, la "
      "plâtrerie et la maçonnerie avant une formation qualifiante.", "atelier",
      ("choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite",), ("demandeurs-emploi", "jeunes"),
      hours=(30, 1)),
    O("Valorisation des compétences acquises", "Bilan des compétences acquises sur le chantier et "
      "préparation d'une certification ou d'une validation des acquis.", "accompagnement",
      ("preparer-sa-candidature--valoriser-ses-competences", "se-former--monter-son-dossier-de-formation"),
      ("beneficiaires-des-minimas-sociaux", "demandeurs-emploi")),
)
GARAGE = (
    O("Réparation de véhicules à tarif solidaire", "Entretien et réparation de voitures et de deux-roues "
      "à prix coûtant pour les personnes qui ont besoin de leur véhicule pour travailler.", "aide-materielle",
      ("mobilite--entretenir-reparer-son-vehicule",), ("demandeurs-emploi", "beneficiaires-des-minimas-sociaux"),
      frais="payant", frais_precisions="Main-d'œuvre à 15 € de l'heure, pièces au prix d'achat.", zone="departement",
      conditions="Sur orientation d'un travailleur social ou d'un conseiller emploi."),
    O("Location de voitures et de scooters à petit prix", "Location courte ou longue durée d'un véhicule "
      "pour occuper un emploi ou suivre une formation, le temps de trouver une solution durable.",
      "aide-materielle", ("mobilite--acceder-a-un-vehicule",), ("demandeurs-emploi", "actifs"), frais="payant",
      frais_precisions="De 3 à 8 € par jour selon le véhicule et les ressources.", zone="departement"),
    O("Atelier d'autoréparation", "Un atelier équipé et un mécanicien pour apprendre à entretenir soi-même "
      "son véhicule : vidange, freins, pneus.", "atelier", ("mobilite--entretenir-reparer-son-vehicule",),
      frais="payant", frais_precisions="Adhésion annuelle de 10 €."),
    O("Vente de véhicules d'occasion contrôlés", "Des véhicules d'occasion révisés et garantis six mois, "
      "vendus à prix solidaire avec un microcrédit possible.", "aide-materielle",
      ("mobilite--acceder-a-un-vehicule", "mobilite--financer-ma-mobilite"), ("demandeurs-emploi", "actifs"),
      frais="payant", frais_precisions="Prix solidaire, microcrédit personnel possible.", zone="departement"),
    O("Conseil avant l'achat d'un véhicule", "Un rendez-vous pour choisir un véhicule adapté à son budget et "
      "à ses trajets, et vérifier une annonce avant de s'engager.", "information",
      ("mobilite--etre-accompagne-dans-son-parcours-mobilite",), accueil=("en-presentiel", "a-distance")),
)
AUTO_ECOLE = (
    O("Permis B accompagné pour les personnes en insertion", "Un apprentissage du code et de la conduite à "
      "rythme adapté, avec des moniteurs formés à l'accompagnement de publics en difficulté.", "formation",
      ("mobilite--preparer-un-permis",), ("demandeurs-emploi", "beneficiaires-des-minimas-sociaux"),
      frais="payant", frais_precisions="Participation de 150 à 300 € selon les ressources ; financements mobilisables.",
      zone="departement", hours=(4, 24)),
    O("Code de la route avec remise à niveau en français", "Des séances de code qui travaillent en même temps "
      "la lecture et le vocabulaire, pour les personnes qui maîtrisent mal l'écrit.", "formation",
      ("mobilite--preparer-un-permis", "lecture-ecriture-calcul--maitriser-le-francais"),
      ("personnes-exilees", "demandeurs-emploi"), frais="payant", frais_precisions="Participation de 50 €.",
      hours=(6, 12)),
    O("Évaluation de départ avant le permis", "Une heure de conduite et un entretien pour estimer le nombre "
      "d'heures nécessaires et construire le plan de financement.", "accompagnement",
      ("mobilite--preparer-un-permis", "mobilite--financer-ma-mobilite")),
    O("Vélo-école pour adultes", "Apprendre à faire du vélo et à circuler en ville en sécurité, en petits "
      "groupes, vélo et casque prêtés.", "atelier", ("mobilite--mobilite-douce-partagee-collective",),
      zone="epci"),
    O("Permis AM pour les jeunes", "Formation au permis AM (cyclomoteur) pour les jeunes qui doivent se "
      "rendre en apprentissage ou en stage.", "formation", ("mobilite--preparer-un-permis",), ("jeunes",),
      frais="payant", frais_precisions="Participation de 40 €.", hours=(8, 1)),
)
NUMERIQUE = (
    O("Initiation à l'ordinateur et à internet", "Des ateliers pour débuter : souris, clavier, messagerie, "
      "recherche sur internet et sécurité en ligne.", "atelier",
      ("numerique--maitriser-les-fondamentaux-du-numerique",), ("tous-publics",)),
    O("Aide aux démarches administratives en ligne", "Un conseiller numérique accompagne les démarches sur "
      "les sites de la CAF, de l'Assurance maladie, des impôts ou de France Travail.", "accompagnement",
      ("numerique--acceder-a-des-services-en-ligne",
       "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives")),
    O("Ordinateurs reconditionnés à prix solidaire", "Des ordinateurs portables reconditionnés et garantis un "
      "an, vendus à prix solidaire aux personnes aux revenus modestes.", "aide-materielle",
      ("numerique--acquerir-un-equipement",), ("beneficiaires-des-minimas-sociaux", "etudiants", "demandeurs-emploi"),
      frais="payant", frais_precisions="De 50 à 120 € selon le modèle.", zone="departement"),
    O("Accès libre à internet et impression", "Des postes en accès libre, une connexion et une imprimante "
      "pour envoyer ses candidatures ou imprimer ses documents.", "aide-materielle",
      ("numerique--acceder-a-une-connexion-internet",)),
    O("Assistance numérique par téléphone", "Une ligne d'assistance pour être guidé pas à pas dans une "
      "démarche en ligne, sans se déplacer.", "accompagnement", ("numerique--acceder-a-des-services-en-ligne",),
      accueil=("a-distance",), zone="france"),
)
INSERTION = (
    O("Atelier estime de soi et image professionnelle", "Un cycle d'ateliers sur la confiance en soi, la "
      "présentation et la communication, avec une séance de conseil en image.", "atelier",
      ("remobilisation--bien-etre-confiance-en-soi", "trouver-un-emploi--convaincre-un-recruteur-en-entretien"),
      ("femmes", "demandeurs-emploi")),
    O("Accompagnement vers l'emploi des femmes", "Un suivi individuel pour les femmes éloignées de l'emploi : "
      "projet, garde d'enfants, formation et candidatures.", "accompagnement",
      ("trouver-un-emploi--repondre-a-des-offres-demploi", "famille--garde-denfants"), ("femmes",), zone="epci"),
    O("Permanence juridique droits des femmes", "Des juristes informent gratuitement sur le droit de la "
      "famille, le droit du travail et les violences, dans la confidentialité.", "information",
      ("famille--surmonter-conflits-separation-violence",
       "difficultes-administratives-ou-juridiques--connaitre-ses-droits-face-a-une-discrimination"),
      ("femmes", "familles"), accueil=("en-presentiel", "a-distance"), zone="departement"),
    O("Cours de français pour adultes", "Des cours de français langue étrangère de tous niveaux, le soir et "
      "le samedi, pour la vie quotidienne et le travail.", "formation",
      ("lecture-ecriture-calcul--maitriser-le-francais",), ("personnes-exilees",), hours=(4, 30)),
    O("Sorties culturelles et sportives", "Des sorties au musée, au théâtre et des activités sportives pour "
      "reprendre confiance et créer des liens.", "atelier",
      ("remobilisation--activites-sportives-et-culturelles", "remobilisation--lien-social"),
      ("beneficiaires-des-minimas-sociaux", "familles")),
    O("Soutien à la parentalité", "Des groupes de parole et des ateliers parents-enfants animés par une "
      "éducatrice, pour échanger sur les difficultés du quotidien.", "atelier",
      ("famille--soutien-a-la-parentalite-et-a-leducation",), ("familles",)),
)
BUDGET = (
    O("Conseil budgétaire et prévention du surendettement", "Un conseiller fait le point avec vous sur vos "
      "ressources et vos charges, et vous aide à négocier avec vos créanciers.", "accompagnement",
      ("difficultes-financieres--prevenir-une-degradation-de-la-situation-financiere",
       "difficultes-financieres--acquerir-une-autonomie-budgetaire"), zone="departement",
      accueil=("en-presentiel", "a-distance")),
    O("Accompagnement au dossier de surendettement", "Aide pour constituer le dossier à déposer à la Banque "
      "de France et suivi de la procédure.", "accompagnement",
      ("difficultes-financieres--situation-dendettement-surendettement",), zone="departement"),
    O("Microcrédit personnel", "Un prêt de 300 à 8 000 € accompagné, pour financer un projet d'insertion "
      "(permis, véhicule, formation) quand la banque refuse.", "aide-financiere",
      ("difficultes-financieres--acquerir-une-autonomie-budgetaire", "mobilite--financer-ma-mobilite"),
      ("demandeurs-emploi", "actifs", "beneficiaires-des-minimas-sociaux"), zone="departement"),
    O("Atelier gérer son budget au quotidien", "Un atelier collectif pour suivre ses dépenses, comprendre "
      "ses factures et éviter les frais bancaires.", "atelier",
      ("difficultes-financieres--ameliorer-sa-gestion-budgetaire",)),
    O("Mesure d'accompagnement social personnalisé", "Un accompagnement du Département pour les personnes "
      "dont la santé ou la sécurité est menacée par des difficultés à gérer leurs prestations sociales.",
      "accompagnement", ("difficultes-financieres--mettre-en-place-une-mesure-de-protection-financiere",
                         "difficultes-administratives-ou-juridiques--beneficier-dune-mesure-daccompagnement-adapte"),
      ("beneficiaires-des-minimas-sociaux",), zone="departement"),
)
HANDICAP = (
    O("Accompagnement vers l'emploi des personnes en situation de handicap", "Un conseiller spécialisé "
      "accompagne la recherche d'emploi et le dialogue avec les employeurs sur les aménagements de poste.",
      "accompagnement", ("trouver-un-emploi--repondre-a-des-offres-demploi",),
      ("personnes-en-situation-de-handicap",), zone="departement",
      conditions="Avoir une reconnaissance de la qualité de travailleur handicapé (RQTH) ou en cours."),
    O("Maintien dans l'emploi", "Des solutions pour rester en poste après un accident ou une maladie : "
      "aménagement, temps partiel thérapeutique, reclassement.", "accompagnement",
      ("trouver-un-emploi--maintien-dans-lemploi",), ("personnes-en-situation-de-handicap", "actifs"),
      zone="departement"),
    O("Aide au dossier MDPH", "Aide pour remplir le dossier de la maison départementale des personnes "
      "handicapées et rassembler les pièces médicales.", "accompagnement",
      ("sante--constituer-un-dossier-mdph-invalidite",), ("personnes-en-situation-de-handicap",)),
    O("Information sur la reconversion professionnelle", "Des réunions pour connaître les formations et les "
      "financements d'une reconversion compatible avec son état de santé.", "information",
      ("se-former--trouver-sa-formation", "choisir-un-metier--connaitre-les-opportunites-demploi"),
      ("personnes-en-situation-de-handicap",), accueil=("a-distance",), zone="france"),
    O("Soutien psychologique", "Des consultations gratuites avec une psychologue pour les personnes "
      "accompagnées qui traversent une période difficile.", "accompagnement", ("sante--sante-mentale",),
      ("personnes-en-situation-de-handicap", "demandeurs-emploi")),
)
EMPLOI = (
    O("Forum de recrutement", "Des employeurs du territoire recrutent sur place : venez avec plusieurs CV "
      "pour des entretiens immédiats.", "information",
      ("trouver-un-emploi--repondre-a-des-offres-demploi", "trouver-un-emploi--faire-des-candidatures-spontanees"),
      ("demandeurs-emploi", "jeunes"), zone="epci"),
    O("Découverte des métiers qui recrutent", "Visites d'entreprises et rencontres avec des professionnels "
      "de la logistique, du soin, du bâtiment et de la restauration.", "atelier",
      ("choisir-un-metier--connaitre-les-opportunites-demploi",
       "choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite"), ("demandeurs-emploi",), zone="epci"),
    O("Club de recherche d'emploi", "Un groupe qui se retrouve deux fois par semaine pour organiser sa "
      "recherche, relancer les employeurs et partager les pistes.", "atelier",
      ("preparer-sa-candidature--organiser-ses-demarches-de-recherche-demploi",
       "trouver-un-emploi--suivre-ses-candidatures-et-relancer-les-employeurs"), ("demandeurs-emploi",)),
    O("Accompagnement renforcé vers l'emploi durable", "Un référent unique pendant tout le parcours, "
      "jusqu'à six mois après la reprise d'emploi.", "accompagnement",
      ("trouver-un-emploi--repondre-a-des-offres-demploi", "trouver-un-emploi--maintien-dans-lemploi"),
      ("beneficiaires-des-minimas-sociaux", "demandeurs-emploi", "residents-qpv-frr"), zone="epci"),
    O("Appui à la création d'activité", "Des ateliers et un suivi individuel pour tester son idée, "
      "construire son plan de financement et se lancer.", "accompagnement",
      ("creer-une-entreprise--structurer-son-projet-de-creation-dentreprise",
       "creer-une-entreprise--developper-son-entreprise"), ("demandeurs-emploi", "residents-qpv-frr"), zone="epci"),
    O("Travailler à l'étranger : réunion d'information", "Les dispositifs pour partir travailler ou se "
      "former en Europe, et les démarches au retour en France.", "information",
      ("souvrir-a-linternational--connaitre-les-opportunites-demploi-a-letranger",
       "souvrir-a-linternational--sinformer-sur-les-aides-pour-travailler-a-letranger"),
      ("jeunes", "demandeurs-emploi"), accueil=("a-distance",), zone="france"),
)
SOLIDARITE = (
    O("Épicerie solidaire", "Des produits alimentaires et d'hygiène à 10 à 30 % de leur prix, sur "
      "orientation d'un travailleur social, pour une durée limitée.", "aide-materielle",
      ("equipement-et-alimentation--alimentation",), ("familles", "beneficiaires-des-minimas-sociaux", "etudiants"),
      frais="payant", frais_precisions="10 à 30 % du prix en magasin."),
    O("Vestiaire solidaire", "Des vêtements pour toute la famille et des tenues pour les entretiens "
      "d'embauche, à petit prix.", "aide-materielle", ("equipement-et-alimentation--habillement",),
      frais="payant", frais_precisions="De 1 à 5 € la pièce."),
    O("Hébergement d'urgence et orientation", "Accueil de jour, orientation vers le 115 et les places "
      "d'hébergement, douches et bagagerie.", "accompagnement",
      ("logement-hebergement--rechercher-une-solution-dhebergement-temporaire",),
      ("personnes-en-situation-durgence",), zone="departement"),
    O("Bénévolat et engagement citoyen", "Des missions de bénévolat ponctuelles ou régulières pour se "
      "sentir utile, rencontrer du monde et valoriser une expérience.", "accompagnement",
      ("remobilisation--benevolat-action-citoyenne",)),
    O("Électroménager de réemploi", "Réfrigérateurs, lave-linge et plaques de cuisson révisés et garantis, "
      "pour équiper un premier logement.", "aide-materielle", ("equipement-et-alimentation--electromenager",),
      ("familles", "jeunes"), frais="payant", frais_precisions="Entre 30 et 90 € l'appareil.", zone="epci"),
    O("Point santé et accès aux soins", "Une infirmière reçoit sans rendez-vous, oriente vers les soins et "
      "aide à ouvrir ses droits à l'Assurance maladie.", "accompagnement",
      ("sante--acces-aux-soins", "sante--addictions"), ("personnes-en-situation-durgence",)),
)


@dataclass(frozen=True)
class Kind:
    label: str  # name pattern: {lieu} = the commune (with its arrondissement), {nom} = a proper name
    description: str
    reseaux: tuple[str, ...]
    offers: tuple[Offer, ...]
    hours: str = "Mo-Fr 09:00-12:30,13:30-17:00"


KINDS = {
    "mission-locale": Kind("Mission locale {lieu}", "Accueil, information et accompagnement des jeunes de 16 à 25 "
                           "ans pour l'emploi, la formation, la santé, le logement et la mobilité.",
                           ("mission-locale",), MISSION_LOCALE),
    "france-travail": Kind("France Travail {lieu}", "Agence France Travail : inscription, indemnisation, "
                           "accompagnement des demandeurs d'emploi et service aux entreprises.",
                           ("france-travail",), FRANCE_TRAVAIL, "Mo-Th 08:30-16:30; Fr 08:30-12:30"),
    "ccas": Kind("CCAS de {lieu}", "Centre communal d'action sociale : aides facultatives, domiciliation, "
                 "accès aux droits et accompagnement des personnes en difficulté.", ("ccas-cias", "communes"), CCAS),
    "chantier": Kind("Chantier d'insertion {nom}", "Atelier et chantier d'insertion qui salarie des personnes "
                     "éloignées de l'emploi sur des activités d'utilité sociale.", ("aci", "chantier-ecole"), CHANTIER,
                     "Mo-Fr 08:00-12:00,13:00-16:00"),
    "garage": Kind("Garage solidaire {nom}", "Garage associatif qui répare, loue et vend des véhicules à prix "
                   "solidaire aux personnes en parcours d'insertion.", ("mobin",), GARAGE,
                   "Mo-Fr 08:30-12:00,14:00-18:00; Sa 09:00-12:00"),
    "auto-ecole": Kind("Auto-école sociale {nom}", "Auto-école associative qui prépare au permis les personnes "
                       "pour qui l'apprentissage classique est difficile.", ("mobin",), AUTO_ECOLE),
    "numerique": Kind("Espace numérique {nom}", "Lieu de médiation numérique : ateliers, accès libre et aide "
                      "aux démarches en ligne avec des conseillers numériques.",
                      ("espaces-publics-numeriques", "conseillers-numeriques"), NUMERIQUE,
                      "Tu-Sa 10:00-13:00,14:00-18:00"),
    "insertion": Kind("Association {nom}", "Association d'insertion sociale et professionnelle : "
                      "accompagnement individuel, ateliers collectifs et actions de remobilisation.", ("inae",),
                      INSERTION),
    "budget": Kind("Point conseil budget {nom}", "Point conseil budget labellisé : conseil gratuit et "
                   "confidentiel pour toute personne qui rencontre des difficultés financières.",
                   ("points-conseil-budget",), BUDGET),
    "cap-emploi": Kind("Cap emploi {lieu}", "Organisme de placement spécialisé dans l'insertion et le maintien "
                       "dans l'emploi des personnes en situation de handicap.", ("cap-emploi-reseau-cheops",),
                       HANDICAP),
    "maison-emploi": Kind("Maison de l'emploi {lieu}", "Maison de l'emploi et PLIE : accompagnement renforcé, "
                          "relations avec les entreprises et appui à la création d'activité.",
                          ("maisons-de-l-emploi", "plie"), EMPLOI),
    "solidarite": Kind("Espace solidarité {nom}", "Accueil de jour associatif : aide alimentaire, vestiaire, "
                       "hébergement d'urgence, accès aux soins et bénévolat.", ("secours-populaire",), SOLIDARITE),
}

# (kind, place, proper name for {nom}): 40 structures, spread over the five territories.
STRUCTURES = (
    ("mission-locale", "saint-denis", ""), ("france-travail", "saint-denis", ""), ("ccas", "aubervilliers", ""),
    ("chantier", "aubervilliers", "Les Jardins du Canal"), ("garage", "saint-ouen", "de la Plaine"),
    ("numerique", "la-courneuve", "Quatre-Routes"), ("mission-locale", "montreuil", ""),
    ("insertion", "montreuil", "Femmes en Mouvement"), ("cap-emploi", "bobigny", ""),
    ("auto-ecole", "bondy", "Route Solidaire"), ("maison-emploi", "aulnay", ""),
    ("solidarite", "sevran", "du Canal de l'Ourcq"), ("budget", "clichy-sous-bois", "Horizons"),
    ("france-travail", "paris-18", ""), ("ccas", "paris-18", ""),
    ("insertion", "paris-19", "Passerelles Flandre"), ("numerique", "paris-20", "Belleville Connectée"),
    ("chantier", "paris-13", "Rives de Seine"), ("budget", "paris-10", "Faubourg"),
    ("mission-locale", "paris-19", ""), ("solidarite", "paris-10", "Magenta"),
    ("mission-locale", "lyon-8", ""), ("france-travail", "venissieux", ""), ("ccas", "villeurbanne", ""),
    ("garage", "vaulx-en-velin", "de l'Est lyonnais"), ("auto-ecole", "lyon-7", "Guillotière"),
    ("maison-emploi", "lyon-9", ""), ("insertion", "villeurbanne", "Tremplin Gratte-Ciel"),
    ("mission-locale", "marseille-3", ""), ("france-travail", "marseille-14", ""),
    ("ccas", "marseille-1", ""), ("chantier", "marseille-15", "Calanques et Collines"),
    ("garage", "marseille-13", "du Nord"), ("numerique", "marseille-1", "Belsunce"),
    ("solidarite", "marseille-3", "Belle de Mai"),
    ("mission-locale", "roubaix", ""), ("france-travail", "lille-fives", ""), ("ccas", "tourcoing", ""),
    ("cap-emploi", "lille", ""), ("budget", "villeneuve-d-ascq", "Pont de Bois"),
)
SERVICES_PER_STRUCTURE = 5
FIRST_DATE = date(2025, 1, 6)


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text).split())


def place_label(place: Place) -> str:
    if place.commune in ("Paris", "Lyon", "Marseille"):
        number = int(place.code_postal[-2:])
        return f"{place.commune} {number}{'er' if number == 1 else 'e'}"
    return place.commune


def zone(offer: Offer, place: Place) -> list[str]:
    return {"commune": [place.city_code], "epci": [place.epci], "departement": [place.departement],
            "france": ["france"]}[offer.zone]


def build() -> tuple[list[dict], list[dict]]:
    structures, services = [], []
    for n, (kind_name, place_key, proper) in enumerate(STRUCTURES):
        kind, place = KINDS[kind_name], PLACES[place_key]
        lieu = place_label(place)
        nom = kind.label.format(lieu=lieu, nom=proper)
        if kind_name == "ccas":
            nom = f"CCAS de {place.commune}" if place.commune not in ("Paris", "Lyon", "Marseille") else \
                f"Centre d'action sociale {lieu}"
        sid = f"{SOURCE}--{slug(nom)}"
        street = place.streets[n % len(place.streets)]
        address = f"{3 + (n * 7) % 90} {street}"
        updated = FIRST_DATE + timedelta(days=(n * 9) % 300)
        website = f"https://{slug(proper or kind_name + ' ' + lieu)}.exemple.fr"
        phone = f"{place.phone} {10 + n:02d} {(n * 13) % 100:02d}"
        latitude = round(place.latitude + ((n % 5) - 2) * 0.0017, 5)
        longitude = round(place.longitude + ((n % 3) - 1) * 0.0021, 5)
        structures.append({
            "source": SOURCE, "id": sid, "nom": nom, "date_maj": updated.isoformat(),
            "description": kind.description, "lien_source": f"https://demo.maillage.exemple.fr/structures/{slug(nom)}",
            "siret": None, "adresse": address, "complement_adresse": None, "code_postal": place.code_postal,
            "code_insee": place.code_insee, "commune": place.commune, "longitude": longitude, "latitude": latitude,
            "telephone": phone, "courriel": f"contact@{website.removeprefix('https://')}", "site_web": website,
            "horaires_accueil": kind.hours, "accessibilite_lieu": None, "reseaux_porteurs": list(kind.reseaux),
        })
        offers = kind.offers
        for k in range(SERVICES_PER_STRUCTURE):
            offer = offers[(n + k) % len(offers)]
            remote_only = offer.accueil == ("a-distance",)
            volume, weeks = offer.hours or (None, None)
            service = {
                "source": SOURCE, "structure_id": sid, "id": f"{sid}--{slug(offer.nom)}", "nom": offer.nom,
                "description": f"{offer.description} Proposé par {nom}"
                               + (" : à distance, par téléphone ou en visio." if remote_only
                                  else f", {address}, {place.code_postal} {place.commune}."),
                "lien_source": f"https://demo.maillage.exemple.fr/services/{slug(nom)}/{slug(offer.nom)}",
                "date_maj": (updated + timedelta(days=k * 3)).isoformat(), "type": offer.type,
                "thematiques": list(offer.thematiques), "frais": offer.frais,
                "frais_precisions": offer.frais_precisions or None, "publics": list(offer.publics),
                "publics_precisions": None, "conditions_acces": offer.conditions or None,
                "adresse": None if remote_only else address, "complement_adresse": None,
                "code_postal": None if remote_only else place.code_postal,
                "code_insee": None if remote_only else place.code_insee,
                "commune": None if remote_only else place.commune,
                "longitude": None if remote_only else longitude, "latitude": None if remote_only else latitude,
                "telephone": phone, "courriel": f"contact@{website.removeprefix('https://')}",
                "modes_accueil": list(offer.accueil), "zone_eligibilite": zone(offer, place),
                "contact_nom_prenom": None,
                "lien_mobilisation": f"{website}/rendez-vous" if (n + k) % 4 == 0 else None,
                "modes_mobilisation": (["telephoner", "utiliser-lien-mobilisation"] if (n + k) % 4 == 0
                                       else ["se-presenter", "telephoner"] if not remote_only
                                       else ["telephoner", "envoyer-un-courriel"]),
                "mobilisable_par": ["usagers", "professionnels"] if offer.type != "aide-financiere"
                else ["professionnels"],
                "mobilisation_precisions": "Sur orientation d'un conseiller ou d'un travailleur social."
                if offer.type == "aide-financiere" else None,
                "volume_horaire_hebdomadaire": volume, "nombre_semaines": weeks,
                "horaires_accueil": None if remote_only else kind.hours,
            }
            services.append(service)
    return structures, services


def services_csv(services: list[dict]) -> str:
    """data·inclusion's CSV convention: list cells as JSON text, empty cells for absent values."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(services[0]), lineterminator="\n")
    writer.writeheader()
    for service in services:
        writer.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else ("" if v is None else v)
                         for k, v in service.items()})
    return out.getvalue()


def main() -> None:
    structures, services = build()
    (HERE / "structures.json").write_text(json.dumps(structures, ensure_ascii=False, indent=1) + "\n",
                                          encoding="utf-8")
    (HERE / "services.csv").write_text(services_csv(services), encoding="utf-8")
    print(f"{len(structures)} structures, {len(services)} services écrits dans {HERE}")


if __name__ == "__main__":
    main()
