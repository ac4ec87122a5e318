"""Texts the generator draws from: cooperation notes, PCD diagnostic entries, actors and
resources, ministries' programmes. Words only: no database."""

from cooperatives.models import LinkKind
from diagnostics.models import TerritorialResource

NOTES = {
    LinkKind.SHARED_EQUIPMENT: "Utilisation partagée d'un moulin et d'un séchoir",
    LinkKind.JOINT_PURCHASE: "Achat groupé d'intrants avant la campagne",
    LinkKind.JOINT_SALE: "Vente groupée au marché périodique",
    LinkKind.SHARED_LABEL: "Marque collective et emballage communs",
    LinkKind.SHARED_JOBS: "Un comptable partagé entre les deux structures",
    LinkKind.TRAINING: "Sessions de formation communes sur la gestion coopérative",
    LinkKind.SAVINGS_CREDIT: "Caisse d'épargne et de crédit mutuelle",
    LinkKind.OTHER: "Échanges d'expériences",
}


# Sectors the PCDs list most needs in, by sector code (others weigh 1).
SECTOR_WEIGHTS = {"agriculture": 5, "eau_energie": 4, "travaux_publics": 4, "elevage": 3,
                  "sante": 3, "education_base": 3, "pme_ess": 2, "commerce": 2, "forets": 2,
                  "institution_communale": 2, "enseignements_secondaires": 2,
                  "promotion_femme": 2, "jeunesse": 2, "emploi_formation": 2}
GENERIC_TEXTS = (
    ["Accès insuffisant aux services ({s}) à {loc}", "Faible couverture du secteur {s}",
     "Manque de personnel qualifié ({s})"],
    ["Volonté des populations de s'organiser", "Appui possible des élites et de la diaspora",
     "Partenaires présents dans la commune"],
    ["Renforcement de l'offre de services ({s}) à {loc}", "Étude et plan d'action : {s}",
     "Formation des acteurs locaux ({s})"])
ENTRY_TEXTS = {
    "agriculture": (
        ["Faible productivité de la filière {f} à {loc}", "Difficultés d'écoulement de la "
         "production ({f})", "Coût élevé des intrants agricoles ({f})",
         "Pertes post-récolte importantes ({f})", "Semences et plants de mauvaise qualité ({f})"],
        ["Terres fertiles disponibles à {loc}", "{Actors} déjà organisés en GIC",
         "Forte demande urbaine ({f})", "Marché périodique à {loc}"],
        ["Appui en semences et plants améliorés ({f})",
         "Construction d'un magasin de stockage à {loc}",
         "Formation des {actors} aux bonnes pratiques",
         "Acquisition d'équipements de transformation ({f})",
         "Structuration des {actors} en coopératives"]),
    "elevage": (
        ["Maladies fréquentes du cheptel ({f})", "Coût élevé de l'aliment ({f})",
         "Absence de structure de commercialisation ({f})"],
        ["Pâturages et points d'eau disponibles", "Savoir-faire des {actors}",
         "Demande locale forte ({f})"],
        ["Construction d'un parc vaccinogène à {loc}", "Appui en géniteurs améliorés ({f})",
         "Création d'une provenderie communautaire", "Formation des {actors}"]),
    "forets": (
        ["Exploitation anarchique des ressources ({f})", "Faible valorisation ({f})"],
        ["Massif forestier riche à {loc}", "Forêt communautaire attribuée"],
        ["Appui à la transformation ({f})", "Plan simple de gestion de la forêt "
         "communautaire", "Reboisement des espaces dégradés à {loc}"]),
    "eau_energie": (
        ["Manque de points d'eau potable à {loc}", "Forages en panne à {loc}",
         "Absence d'électricité à {loc}"],
        ["Nappe phréatique accessible", "Cours d'eau permanents", "Ensoleillement important"],
        ["Construction d'un forage équipé à {loc}", "Réhabilitation des points d'eau de {loc}",
         "Extension du réseau électrique à {loc}", "Installation de lampadaires solaires"]),
    "travaux_publics": (
        ["Routes impraticables en saison des pluies ({loc})", "Ponts dégradés à {loc}",
         "Enclavement des bassins de production"],
        ["Comités de route actifs", "Matériaux disponibles localement"],
        ["Réhabilitation de la piste rurale desservant {loc}", "Construction d'un pont à {loc}",
         "Entretien des routes communales par la méthode HIMO"]),
    "sante": (
        ["Centre de santé sous-équipé à {loc}", "Éloignement des formations sanitaires",
         "Faible couverture vaccinale"],
        ["Relais communautaires formés", "Mutuelle de santé en création"],
        ["Équipement du centre de santé de {loc}", "Construction d'un centre de santé à {loc}",
         "Appui à la mutuelle de santé communale"]),
    "education_base": (
        ["Insuffisance de salles de classe à l'école de {loc}", "Manque d'enseignants",
         "Absence de tables-bancs"],
        ["Forte demande scolaire", "Associations de parents d'élèves actives"],
        ["Construction de deux salles de classe à {loc}", "Dotation en tables-bancs à {loc}",
         "Construction de latrines scolaires à {loc}"]),
    "pme_ess": (
        ["Faible accès au crédit des unités de l'économie sociale", "Artisans peu organisés",
         "Absence de local pour le RELESS"],
        ["Savoir-faire artisanal ({f})", "RELESS en place", "Jeunes disposés à entreprendre"],
        ["Création d'un centre artisanal à {loc}", "Appui à la structuration du RELESS",
         "Fonds de garantie pour les coopératives", "Formation à la gestion coopérative"]),
    "commerce": (
        ["Marché sans hangar à {loc}", "Intermédiaires imposant les prix"],
        ["Marché périodique fréquenté à {loc}", "Axe routier vers les grandes villes"],
        ["Construction d'un hangar de marché à {loc}", "Organisation de ventes groupées"]),
    "institution_communale": (
        ["Faible mobilisation des recettes propres", "Personnel communal insuffisant",
         "Archives communales non informatisées"],
        ["Conseil municipal engagé", "Partenariats intercommunaux"],
        ["Formation du personnel communal", "Informatisation des services de la commune",
         "Élaboration d'un plan de mobilisation des recettes"]),
    "promotion_femme": (
        ["Faible accès des femmes au foncier et au crédit", "Groupements de femmes peu "
         "structurés"],
        ["Groupements de femmes dynamiques à {loc}", "Tontines de femmes"],
        ["Appui aux activités génératrices de revenus des femmes", "Construction d'un centre "
         "de promotion de la femme à {loc}"]),
    "jeunesse": (
        ["Chômage et exode rural des jeunes", "Absence d'espaces d'encadrement des jeunes"],
        ["Jeunesse nombreuse et disponible", "Associations de jeunes à {loc}"],
        ["Appui aux projets agropastoraux des jeunes", "Construction d'un centre multifonctionnel "
         "de promotion des jeunes"]),
    "emploi_formation": (
        ["Manque de structures de formation professionnelle", "Jeunes sans qualification"],
        ["Artisans pouvant accueillir des apprentis"],
        ["Création d'une SAR/SM à {loc}", "Formation des jeunes aux métiers ({f})"]),
}
ACTORS_TEMPLATES = [
    ("public", "Délégation d'arrondissement de l'agriculture et du développement rural {commune}",
     "agriculture", "Encadrement des producteurs"),
    ("public", "Délégation d'arrondissement de l'élevage, des pêches et des industries "
     "animales {commune}", "elevage", "Suivi sanitaire du cheptel"),
    ("public", "Centre de santé intégré {loc}", "sante", "Soins de santé primaires"),
    ("public", "École publique {loc}", "education_base", "Enseignement primaire"),
    ("public", "Commune {commune}", "institution_communale", "Maîtrise d'ouvrage communale"),
    ("community", "Comité de développement {loc}", None, "Mobilisation des populations"),
    ("community", "Comité de gestion du point d'eau {loc}", "eau_energie",
     "Entretien des ouvrages hydrauliques"),
    ("community", "Caisse villageoise d'épargne {loc}", "pme_ess", "Épargne et microcrédit"),
    ("traditional", "Chefferie traditionnelle {loc}", "administration_territoriale",
     "Médiation et accès au foncier"),
    ("ngo", "ONG {ngo}", "pme_ess", "Accompagnement des coopératives"),
    ("ngo", "ONG {ngo}", "sante", "Sensibilisation sanitaire"),
    ("private", "Établissements {last} et Fils", "commerce", "Achat et collecte des produits"),
    ("private", "Quincaillerie {last}", "habitat", "Fourniture de matériaux"),
    ("other", "Radio communautaire {commune}", "communication", "Information des populations"),
]
NGOS = ["Agir Ensemble pour le Développement", "Terres Vivantes", "Horizon Rural",
        "Mains Solidaires", "Savoirs Paysans", "Semences d'Avenir", "Femmes et Progrès"]
RESOURCE_TEXTS = {
    TerritorialResource.Kind.HUMAN: [
        "Jeunes diplômés disponibles à {loc}", "Main-d'œuvre agricole abondante",
        "Artisans qualifiés", "Élites engagées dans le développement local"],
    TerritorialResource.Kind.COGNITIVE: [
        "Savoir-faire traditionnel de transformation", "Centre d'éducation et d'action "
        "communautaire à {loc}", "Expérience des GIC en production semencière"],
    TerritorialResource.Kind.SOCIAL: [
        "Forte tradition d'entraide et de travaux collectifs", "Associations de ressortissants "
        "actives", "Comités de développement dans chaque village"],
    TerritorialResource.Kind.FINANCIAL: [
        "Tontines et caisses villageoises à {loc}", "Transferts de la diaspora",
        "Budget d'investissement public alloué à la commune"],
    TerritorialResource.Kind.NATURAL: [
        "Terres arables disponibles à {loc}", "Cours d'eau permanents", "Forêt riche en "
        "produits non ligneux", "Carrières de sable et de latérite"],
}
PROGRAMMES = {
    "MINADER": ["Programme d'appui à la filière {f}", "Distribution de semences et plants "
                "({f}) {commune}", "Projet de mécanisation et de transformation ({f})",
                "Appui aux coopératives de la filière {f}"],
    "MINEPIA": ["Programme de développement de la filière {f}", "Appui aux éleveurs et "
                "pisciculteurs ({f}) {commune}", "Amélioration de la productivité ({f})"],
    "MINFOF": ["Gestion durable des ressources forestières ({f})",
               "Valorisation des produits forestiers ({f}) {commune}"],
    "MINPMEESA": ["Programme d'appui au RELESS {commune}", "Appui aux unités de l'économie "
                  "sociale ({f})", "Incubation d'entreprises sociales ({f})"],
    "MINCOMMERCE": ["Organisation des ventes groupées ({f}) {commune}"],
    "MINEE": ["Programme d'hydraulique villageoise {commune}", "Électrification rurale "
              "{commune}"],
    "MINSANTE": ["Appui aux mutuelles de santé {commune}", "Programme de santé communautaire"],
    "MINEFOP": ["Programme d'insertion des jeunes ({f})", "Formation aux métiers ({f})"],
    "MINPROFF": ["Autonomisation économique des femmes ({f})"],
    "MINJEC": ["Appui aux initiatives économiques des jeunes ({f})"],
}
