"""Names of people, places and organisations the generator draws from, and the French
grammar they need ("de"/"d'", "du"/"de l'", acronyms). Words only: no model, no database."""

import unicodedata

from django.utils.text import slugify

REGION_AREA = {"CM001": "north", "CM002": "beti", "CM003": "beti", "CM004": "north",
               "CM005": "sawa", "CM006": "north", "CM007": "anglo", "CM008": "grassfields",
               "CM009": "beti", "CM010": "anglo"}
FIRST_NAMES = {
    ("fr", "f"): ["Marie", "Jeanne", "Brigitte", "Christelle", "Nadège", "Sandrine", "Pauline",
                  "Florence", "Odette", "Solange", "Hortense", "Yvonne", "Clarisse", "Mireille",
                  "Béatrice", "Rose", "Esther", "Judith", "Gisèle", "Cécile"],
    ("fr", "m"): ["Jean", "Paul", "Pierre", "Emmanuel", "Joseph", "Serge", "Boris", "Yannick",
                  "Hervé", "Martin", "André", "Célestin", "Thomas", "Jacques", "Bertrand",
                  "Didier", "François", "Roger", "Alain", "Théodore"],
    ("en", "f"): ["Grace", "Mercy", "Blessing", "Comfort", "Joy", "Patience", "Gladys", "Vivian",
                  "Ruth", "Mary", "Doris", "Evelyn"],
    ("en", "m"): ["John", "Peter", "Emmanuel", "Godlove", "Divine", "Ernest", "Samuel", "Felix",
                  "Collins", "Stephen", "Clement", "Walters"],
    ("north", "f"): ["Aïssatou", "Fadimatou", "Hadidja", "Mairamou", "Hawaou", "Djamila",
                     "Adama", "Rakiatou", "Zénabou", "Aminatou", "Halimatou", "Salamatou"],
    ("north", "m"): ["Hamadou", "Oumarou", "Moussa", "Abdoulaye", "Ibrahim", "Aliou",
                     "Souleymane", "Mohamadou", "Issa", "Bouba", "Yaouba", "Amadou"],
}
LAST_NAMES = {
    "beti": ["Mbarga", "Ateba", "Essomba", "Owona", "Abena", "Ndzana", "Onana", "Mballa",
             "Fouda", "Atangana", "Manga", "Eyenga", "Ngono", "Bilong", "Nkoa", "Mvondo",
             "Ebode", "Zambo", "Ondoua", "Amougou"],
    "grassfields": ["Kamga", "Fotso", "Kamdem", "Nguetsa", "Tchinda", "Djoumessi", "Tagne",
                    "Wafo", "Simo", "Tchoupo", "Fokou", "Kengne", "Nana", "Tsafack", "Momo",
                    "Talla", "Djomo", "Feugang", "Takam", "Nzeuta"],
    "north": ["Hamadou", "Oumarou", "Bouba", "Moussa", "Adamou", "Saïdou", "Bello", "Yaya",
              "Daouda", "Abba", "Ousmanou", "Haman", "Dairou", "Goni", "Aboubakar", "Ahmadou",
              "Sali", "Bakari", "Mana", "Djibrilla"],
    "sawa": ["Ekwalla", "Doumbe", "Ebelle", "Ngando", "Kotto", "Dikoume", "Epee", "Moukoko",
             "Ekambi", "Essaka", "Ngoh", "Dina", "Elong", "Priso", "Mouangue", "Tokoto", "Lobe",
             "Ngalle", "Mbongo", "Ebanda"],
    "anglo": ["Ngwa", "Tanyi", "Nkwenti", "Che", "Ambe", "Ayuk", "Tabi", "Enow", "Mbah", "Fru",
              "Nji", "Tamfu", "Ashu", "Tata", "Neba", "Awah", "Akwo", "Besong", "Agbor", "Ngu"],
}
SYLLABLES = {
    "beti": (["Nkol", "Ebo", "Mvo", "Ngo", "Ako", "Ndo", "Mbe", "Oye", "Ayo", "Biy", "Ela",
              "Nsi", "Oba", "Zam", "Meyo", "Ekou", "Abo", "Minkoa"],
             ["mebanga", "bisson", "lo", "ndong", "meyos", "mekak", "ssi", "bele", "koa", "zok",
              "ngui", "messeng", "afan", "mva", "tsang", "nam", "dzeng", "bang"]),
    "grassfields": (["Ba", "Bafou", "Bam", "Ban", "Bat", "Fo", "Fongo", "Bandja", "Bali",
                     "Bame", "Fot", "Bangou"],
                    ["ndjoun", "ssa", "ngang", "leng", "tcha", "mougoum", "djou", "ham", "komo",
                     "nwa", "fang", "soung", "kwa", "tsé"]),
    "north": (["Gui", "Ma", "Dou", "Mo", "Ka", "Ga", "Mou", "Ze", "Bo", "Tok", "Ba", "Mer",
               "Kou", "Djou"],
              ["kolo", "lao", "gouma", "kong", "dai", "gaza", "lam", "roua", "bi", "mbéré",
               "dala", "rou", "fata", "zina"]),
    "sawa": (["Ma", "Ye", "Di", "Bo", "Ed", "Lo", "Pen", "Mbo", "Dei", "Ngom", "Do", "Mou"],
             ["nga", "koa", "bamba", "ngé", "éa", "lobo", "ja", "ungo", "mbé", "sombo", "dibo"]),
    "anglo": (["Ba", "Bu", "Nku", "Ku", "Mbe", "Ndu", "Wum", "Ako", "Esu", "Mam", "Bo", "Nto"],
              ["menda", "ea", "ambe", "mbo", "eng", "ong", "fe", "kwa", "nyi", "tum", "kom",
               "ssing"]),
}
MOTTOS = ["Espoir", "Solidarité", "Entraide", "Avenir", "Les Vaillants", "Les Bâtisseurs",
          "La Main Tendue", "L'Union Fait la Force", "Le Bon Grain", "Lumière", "Renouveau",
          "Progrès", "Les Pionniers", "Bonne Récolte", "Unité", "Travail et Prospérité",
          "Les Dynamiques", "Les Battants", "Sol Fertile", "Nouvel Élan"]
OTHER_NAMES = ["Mutuelle communautaire", "Caisse villageoise d'épargne et de crédit",
               "Tontine solidaire", "Comptoir paysan", "Centre de services partagés"]
ASSOCIATION_NAMES = ["Association pour le développement", "Association des ressortissants",
                     "Association des femmes rurales", "Association des jeunes agriculteurs",
                     "Association culturelle et de développement"]
# Filière code -> its people, for names ("SCOOPS des planteurs de cacao de ...").
ACTORS = {
    "mais": "producteurs de maïs", "riz": "riziculteurs", "plantain": "producteurs de plantain",
    "banane": "producteurs de banane", "manioc": "producteurs de manioc",
    "macabo_taro": "producteurs de macabo et taro", "igname": "producteurs d'igname",
    "patate_douce": "producteurs de patate douce",
    "pomme_de_terre": "producteurs de pomme de terre",
    "palmier_huile": "producteurs d'huile de palme", "cacao": "planteurs de cacao",
    "cafe": "caféiculteurs", "anacarde": "producteurs d'anacarde", "coton": "cotonculteurs",
    "hevea": "planteurs d'hévéa", "oignon": "producteurs d'oignon",
    "sorgho_mil": "producteurs de sorgho et mil", "arachide": "producteurs d'arachide",
    "haricot": "producteurs de haricot", "maraichage": "maraîchers",
    "fruits": "arboriculteurs", "semences": "semenciers", "porc": "éleveurs de porcs",
    "volaille": "aviculteurs", "petits_ruminants": "éleveurs de petits ruminants",
    "bovins": "éleveurs de bovins", "cuniculture": "cuniculteurs", "miel": "apiculteurs",
    "lait": "producteurs de lait", "peche": "pêcheurs", "aquaculture": "pisciculteurs",
    "foret_communautaire": "riverains de la forêt communautaire", "bois": "exploitants de bois",
    "pfnl": "collecteurs de produits forestiers non ligneux",
    "karite": "productrices de karité", "agroforesterie": "pépiniéristes",
    "artisanat": "artisans", "transformation_agroalimentaire": "transformatrices",
    "couture_textile": "couturières", "commerce_marches": "commerçants",
    "ecotourisme": "guides écotouristiques", "hebergement_restauration": "restauratrices",
    "mines_artisanales": "artisans miniers", "carrieres": "carriers",
    "eau_potable": "usagers de l'eau", "electrification": "usagers de l'électricité",
    "materiaux_locaux": "briquetiers", "sante_mutuelle": "mutualistes",
    "sante_communautaire": "relais communautaires", "telecentre": "usagers du télécentre",
    "transport_rural": "transporteurs", "industries_culturelles": "artistes",
    "formation_professionnelle": "formateurs", "groupes_femmes": "femmes",
    "groupes_jeunes": "jeunes", "dechets": "collecteurs de déchets",
    "provenderie": "fabricants d'aliments pour bétail",
    "gomme_arabique": "collecteurs de gomme arabique",
    "commercialisation_groupee": "producteurs-vendeurs", "energie_solaire": "techniciens solaires",
    "assainissement": "agents d'assainissement", "pistes_rurales": "cantonniers",
    "services_numeriques": "jeunes du numérique", "protection_sociale": "membres solidaires",
    "compostage": "composteurs",
}
# Sector code -> how a regional federation of the sector's cooperatives is called.
FEDERATION_NAMES = {"agriculture": "des coopératives agricoles",
                    "elevage": "des coopératives d'éleveurs et de pêcheurs",
                    "forets": "des coopératives forestières",
                    "pme_ess": "des coopératives artisanales et de transformation",
                    "commerce": "des coopératives de commercialisation"}
SMALL_WORDS = {"d", "de", "des", "du", "l", "la", "le", "les", "et", "en", "au", "aux", "pour"}


def de(place: str) -> str:
    """French "de" before a place, elided before a vowel ("d'Ebolowa")."""
    first = unicodedata.normalize("NFD", place[:1])[:1].lower()
    return f"d'{place}" if first in "aeiouy" else f"de {place}"


def du(region: str) -> str:
    first = unicodedata.normalize("NFD", region[:1])[:1].lower()
    return f"de l'{region}" if first in "aeiouy" else f"du {region}"


def ascii_slug(text: str) -> str:
    return slugify(text).replace("-", "")


def make_acronym(name: str) -> str:
    words = name.replace("'", " ").replace("-", " ").split()
    return "".join(w[0] for w in words if w.lower() not in SMALL_WORDS and w[0].isalpha()
                   ).upper()[:12]
