"""The taxonomy the platform ships: ministries, the PCD sectors they supervise, and filières.

Ministry names follow decree 2018/190; sectors mirror the PCD grid (every diagnostic need gets a
ministry); filière codes are stable slugs other code and datasets refer to. `load_taxonomy()`
writes it idempotently.
"""

from django.db import transaction

from .models import Filiere, Ministry, Sector

# (acronym, French name, English name)
MINISTRIES: list[tuple[str, str, str]] = [
    ("MINADER", "Ministère de l'Agriculture et du Développement Rural",
     "Ministry of Agriculture and Rural Development"),
    ("MINEPIA", "Ministère de l'Élevage, des Pêches et des Industries Animales",
     "Ministry of Livestock, Fisheries and Animal Industries"),
    ("MINFOF", "Ministère des Forêts et de la Faune", "Ministry of Forestry and Wildlife"),
    ("MINPMEESA",
     "Ministère des Petites et Moyennes Entreprises, de l'Économie Sociale et de l'Artisanat",
     "Ministry of Small and Medium-sized Enterprises, Social Economy and Handicrafts"),
    ("MINCOMMERCE", "Ministère du Commerce", "Ministry of Trade"),
    ("MINTOUL", "Ministère du Tourisme et des Loisirs", "Ministry of Tourism and Leisure"),
    ("MINMIDT", "Ministère des Mines, de l'Industrie et du Développement Technologique",
     "Ministry of Mines, Industry and Technological Development"),
    ("MINEE", "Ministère de l'Eau et de l'Énergie", "Ministry of Water Resources and Energy"),
    ("MINHDU", "Ministère de l'Habitat et du Développement Urbain",
     "Ministry of Housing and Urban Development"),
    ("MINSANTE", "Ministère de la Santé Publique", "Ministry of Public Health"),
    ("MINTP", "Ministère des Travaux Publics", "Ministry of Public Works"),
    ("MINPOSTEL", "Ministère des Postes et Télécommunications",
     "Ministry of Posts and Telecommunications"),
    ("MINEFOP", "Ministère de l'Emploi et de la Formation Professionnelle",
     "Ministry of Employment and Vocational Training"),
    ("MINAS", "Ministère des Affaires Sociales", "Ministry of Social Affairs"),
    ("MINEPAT", "Ministère de l'Économie, de la Planification et de l'Aménagement du Territoire",
     "Ministry of the Economy, Planning and Regional Development"),
    ("MINPROFF", "Ministère de la Promotion de la Femme et de la Famille",
     "Ministry of Women's Empowerment and the Family"),
    ("MINJEC", "Ministère de la Jeunesse et de l'Éducation Civique",
     "Ministry of Youth Affairs and Civic Education"),
    ("MINDDEVEL", "Ministère de la Décentralisation et du Développement Local",
     "Ministry of Decentralisation and Local Development"),
    ("MINEPDED",
     "Ministère de l'Environnement, de la Protection de la Nature et du Développement Durable",
     "Ministry of Environment, Protection of Nature and Sustainable Development"),
    ("MINEDUB", "Ministère de l'Éducation de Base", "Ministry of Basic Education"),
    ("MINESEC", "Ministère des Enseignements Secondaires", "Ministry of Secondary Education"),
    ("MINESUP", "Ministère de l'Enseignement Supérieur", "Ministry of Higher Education"),
    ("MINSEP", "Ministère des Sports et de l'Éducation Physique",
     "Ministry of Sports and Physical Education"),
    ("MINAC", "Ministère des Arts et de la Culture", "Ministry of Arts and Culture"),
    ("MINT", "Ministère des Transports", "Ministry of Transport"),
    ("MINCOM", "Ministère de la Communication", "Ministry of Communication"),
    ("MINRESI", "Ministère de la Recherche Scientifique et de l'Innovation",
     "Ministry of Scientific Research and Innovation"),
    ("MINTSS", "Ministère du Travail et de la Sécurité Sociale",
     "Ministry of Labour and Social Security"),
    ("MINDCAF", "Ministère des Domaines, du Cadastre et des Affaires Foncières",
     "Ministry of State Property, Surveys and Land Tenure"),
    ("MINAT", "Ministère de l'Administration Territoriale",
     "Ministry of Territorial Administration"),
]

# (code, French name, English name, supervising ministry): the PCD sectors, in the PCD order.
SECTORS: list[tuple[str, str, str, str]] = [
    ("agriculture", "Agriculture", "Agriculture", "MINADER"),
    ("elevage", "Élevage, pêches et industries animales",
     "Livestock, fisheries and animal industries", "MINEPIA"),
    ("domaines_foncier", "Domaines et affaires foncières", "State property and land tenure",
     "MINDCAF"),
    ("habitat", "Habitat et développement urbain", "Housing and urban development", "MINHDU"),
    ("environnement", "Environnement et protection de la nature",
     "Environment and nature protection", "MINEPDED"),
    ("forets", "Forêts et faune", "Forestry and wildlife", "MINFOF"),
    ("administration_territoriale", "Administration territoriale et décentralisation",
     "Territorial administration and decentralisation", "MINAT"),
    ("education_base", "Éducation de base", "Basic education", "MINEDUB"),
    ("enseignements_secondaires", "Enseignements secondaires", "Secondary education", "MINESEC"),
    ("enseignement_superieur", "Enseignement supérieur", "Higher education", "MINESUP"),
    ("sante", "Santé publique", "Public health", "MINSANTE"),
    ("eau_energie", "Eau et énergie", "Water and energy", "MINEE"),
    ("travaux_publics", "Travaux publics", "Public works", "MINTP"),
    ("affaires_sociales", "Affaires sociales", "Social affairs", "MINAS"),
    ("promotion_femme", "Promotion de la femme et de la famille",
     "Women's empowerment and the family", "MINPROFF"),
    ("jeunesse", "Jeunesse et éducation civique", "Youth and civic education", "MINJEC"),
    ("sports", "Sports et éducation physique", "Sports and physical education", "MINSEP"),
    ("emploi_formation", "Emploi et formation professionnelle",
     "Employment and vocational training", "MINEFOP"),
    ("pme_ess", "PME, économie sociale et artisanat", "SMEs, social economy and handicrafts",
     "MINPMEESA"),
    ("recherche", "Recherche scientifique et innovation", "Scientific research and innovation",
     "MINRESI"),
    ("tourisme", "Tourisme et loisirs", "Tourism and leisure", "MINTOUL"),
    ("arts_culture", "Arts et culture", "Arts and culture", "MINAC"),
    ("mines", "Mines, industrie et développement technologique",
     "Mines, industry and technological development", "MINMIDT"),
    ("commerce", "Commerce", "Trade", "MINCOMMERCE"),
    ("postes_telecom", "Postes et télécommunications", "Posts and telecommunications",
     "MINPOSTEL"),
    ("travail_securite_sociale", "Travail et sécurité sociale", "Labour and social security",
     "MINTSS"),
    ("transports", "Transports", "Transport", "MINT"),
    ("communication", "Communication", "Communication", "MINCOM"),
    ("institution_communale", "Institution communale", "Council institution", "MINDDEVEL"),
]

# (code, French name, English name, sector code)
FILIERES: list[tuple[str, str, str, str]] = [
    # Crops (MINADER)
    ("mais", "Maïs", "Maize", "agriculture"),
    ("riz", "Riz", "Rice", "agriculture"),
    ("plantain", "Banane plantain", "Plantain", "agriculture"),
    ("banane", "Banane douce", "Dessert banana", "agriculture"),
    ("manioc", "Manioc", "Cassava", "agriculture"),
    ("macabo_taro", "Macabo et taro", "Cocoyam and taro", "agriculture"),
    ("igname", "Igname", "Yam", "agriculture"),
    ("patate_douce", "Patate douce", "Sweet potato", "agriculture"),
    ("pomme_de_terre", "Pomme de terre", "Potato", "agriculture"),
    ("palmier_huile", "Palmier à huile", "Oil palm", "agriculture"),
    ("cacao", "Cacao", "Cocoa", "agriculture"),
    ("cafe", "Café", "Coffee", "agriculture"),
    ("anacarde", "Anacarde", "Cashew", "agriculture"),
    ("coton", "Coton", "Cotton", "agriculture"),
    ("hevea", "Hévéa", "Rubber", "agriculture"),
    ("oignon", "Oignon", "Onion", "agriculture"),
    ("sorgho_mil", "Sorgho et mil", "Sorghum and millet", "agriculture"),
    ("arachide", "Arachide", "Groundnut", "agriculture"),
    ("haricot", "Haricot et niébé", "Beans and cowpea", "agriculture"),
    ("soja", "Soja", "Soybean", "agriculture"),
    ("sesame", "Sésame", "Sesame", "agriculture"),
    ("maraichage", "Maraîchage", "Market gardening", "agriculture"),
    ("ananas", "Ananas", "Pineapple", "agriculture"),
    ("fruits", "Arboriculture fruitière", "Fruit trees", "agriculture"),
    ("poivre", "Poivre", "Pepper", "agriculture"),
    ("semences", "Semences et plants", "Seeds and seedlings", "agriculture"),
    # Livestock and fisheries (MINEPIA)
    ("porc", "Porc", "Pig farming", "elevage"),
    ("volaille", "Volaille", "Poultry", "elevage"),
    ("petits_ruminants", "Petits ruminants", "Sheep and goats", "elevage"),
    ("bovins", "Bovins", "Cattle", "elevage"),
    ("cuniculture", "Cuniculture", "Rabbit farming", "elevage"),
    ("miel", "Miel et apiculture", "Honey and beekeeping", "elevage"),
    ("lait", "Lait", "Milk", "elevage"),
    ("provenderie", "Provenderie", "Animal feed", "elevage"),
    ("peche", "Pêche", "Fisheries", "elevage"),
    ("aquaculture", "Aquaculture", "Fish farming", "elevage"),
    # Forests (MINFOF)
    ("foret_communautaire", "Forêt communautaire", "Community forest", "forets"),
    ("bois", "Bois", "Timber", "forets"),
    ("pfnl", "Produits forestiers non ligneux", "Non-timber forest products", "forets"),
    ("karite", "Karité", "Shea", "forets"),
    ("gomme_arabique", "Gomme arabique", "Gum arabic", "forets"),
    ("agroforesterie", "Agroforesterie et pépinières", "Agroforestry and nurseries", "forets"),
    # Social economy, handicrafts, processing (MINPMEESA)
    ("artisanat", "Artisanat", "Handicrafts", "pme_ess"),
    ("transformation_agroalimentaire", "Transformation agroalimentaire", "Food processing",
     "pme_ess"),
    ("couture_textile", "Couture et textile", "Tailoring and textiles", "pme_ess"),
    # Trade, tourism, mines
    ("commerce_marches", "Marchés et commercialisation", "Markets and marketing", "commerce"),
    ("commercialisation_groupee", "Commercialisation groupée", "Pooled marketing", "commerce"),
    ("ecotourisme", "Écotourisme", "Eco-tourism", "tourisme"),
    ("hebergement_restauration", "Hébergement et restauration", "Lodging and catering",
     "tourisme"),
    ("mines_artisanales", "Mines artisanales", "Artisanal mining", "mines"),
    ("carrieres", "Carrières", "Quarries", "mines"),
    # Infrastructure and services
    ("eau_potable", "Eau potable", "Drinking water", "eau_energie"),
    ("electrification", "Électrification rurale", "Rural electrification", "eau_energie"),
    ("energie_solaire", "Énergie solaire", "Solar energy", "eau_energie"),
    ("materiaux_locaux", "Matériaux locaux de construction", "Local building materials",
     "habitat"),
    ("assainissement", "Assainissement", "Sanitation", "habitat"),
    ("sante_mutuelle", "Mutuelle de santé", "Health mutual", "sante"),
    ("sante_communautaire", "Santé communautaire", "Community health", "sante"),
    ("pistes_rurales", "Pistes rurales", "Rural roads", "travaux_publics"),
    ("telecentre", "Télécentre communautaire", "Community telecentre", "postes_telecom"),
    ("services_numeriques", "Services numériques", "Digital services", "postes_telecom"),
    ("transport_rural", "Transport rural", "Rural transport", "transports"),
    ("industries_culturelles", "Industries culturelles", "Cultural industries", "arts_culture"),
    # People and environment
    ("formation_professionnelle", "Formation professionnelle", "Vocational training",
     "emploi_formation"),
    ("protection_sociale", "Protection sociale", "Social protection", "affaires_sociales"),
    ("groupes_femmes", "Groupements de femmes", "Women's groups", "promotion_femme"),
    ("groupes_jeunes", "Groupements de jeunes", "Youth groups", "jeunesse"),
    ("dechets", "Gestion des déchets", "Waste management", "environnement"),
    ("compostage", "Compostage", "Composting", "environnement"),
]

# Filières found in every region, added to each agro-ecological zone below.
UBIQUITOUS = ["volaille", "porc", "maraichage", "artisanat", "commerce_marches"]

_FOREST = ["manioc", "plantain", "palmier_huile", "cacao", "macabo_taro", "foret_communautaire",
           "bois", "pfnl"]
_HIGHLANDS = ["mais", "haricot", "pomme_de_terre", "cafe", "petits_ruminants", "macabo_taro",
              "miel", "aquaculture"]
_SAHEL = ["sorgho_mil", "oignon", "coton", "arachide", "haricot", "riz", "bovins",
          "petits_ruminants", "sesame", "gomme_arabique", "peche"]


def _zone(*groups: list[str]) -> list[str]:
    return list(dict.fromkeys(code for group in (*groups, UBIQUITOUS) for code in group))


# Region P-code -> filières typical there (forest zone, western highlands, Sudano-Sahelian,
# Adamaoua plateau), each with a few local specialities.
AGRO_ZONES: dict[str, list[str]] = {
    "CM001": _zone(["bovins", "mais", "igname", "lait", "miel", "petits_ruminants", "karite"]),
    "CM002": _zone(_FOREST, ["cafe", "ananas", "fruits", "aquaculture"]),
    "CM003": _zone(_FOREST, ["cafe", "mines_artisanales", "ecotourisme", "miel"]),
    "CM004": _zone(_SAHEL, ["mais"]),
    "CM005": _zone(_FOREST, ["banane", "poivre", "ananas", "hevea", "peche", "cafe"]),
    "CM006": _zone(_SAHEL, ["mais", "soja", "karite", "igname"]),
    "CM007": _zone(_HIGHLANDS, ["bovins", "lait", "riz"]),
    "CM008": _zone(_HIGHLANDS, ["fruits", "semences"]),
    "CM009": _zone(_FOREST, ["hevea", "peche", "ecotourisme"]),
    "CM010": _zone(_FOREST, ["banane", "hevea", "peche", "cafe", "ecotourisme"]),
}


def _sync(model, key: str, rows: dict[str, dict], counts: dict[str, int]) -> dict[str, object]:
    """Create or update `rows` ({key value: fields}); save only what differs. Returns key -> obj."""
    existing = model.objects.in_bulk(list(rows), field_name=key)
    for value, fields in rows.items():
        obj = existing.get(value)
        if obj is None:
            existing[value] = model.objects.create(**{key: value}, **fields)
            counts["created"] += 1
            continue
        changed = [name for name, new in fields.items() if getattr(obj, name) != new]
        if changed:
            for name in changed:
                setattr(obj, name, fields[name])
            obj.save(update_fields=changed)
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    return existing


@transaction.atomic
def load_taxonomy() -> dict[str, dict[str, int]]:
    """Write MINISTRIES, SECTORS and FILIERES to the database, keyed on acronym / code.

    Rows not in the shipped taxonomy are left alone. Returns, per model, the number of rows
    created, updated and unchanged; a second run reports 0 created and 0 updated.
    """
    counts = {kind: {"created": 0, "updated": 0, "unchanged": 0}
              for kind in ("ministries", "sectors", "filieres")}
    ministries = _sync(Ministry, "acronym", {
        acronym: {"name_fr": fr, "name_en": en} for acronym, fr, en in MINISTRIES
    }, counts["ministries"])
    sectors = _sync(Sector, "code", {
        code: {"name_fr": fr, "name_en": en, "ministry_id": ministries[acronym].pk}
        for code, fr, en, acronym in SECTORS
    }, counts["sectors"])
    _sync(Filiere, "code", {
        code: {"name_fr": fr, "name_en": en, "sector_id": sectors[sector].pk}
        for code, fr, en, sector in FILIERES
    }, counts["filieres"])
    return counts
