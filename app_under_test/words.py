"""Word lists the data generator builds names, emails and texts from.

Product names are ``"<brand> <adjective> <material> <noun>"``; each list is long enough that a
search for one of its words (``name ILIKE '%word%'``) matches roughly 1-2 % of the products.
No word contains another, so the match rate of a term is what its list length says.
"""

BRANDS = [
    "Acmeco", "Broadway", "Cobaltix", "Dunmore", "Everlane", "Fjordic", "Grayson", "Hollis",
    "Ironbark", "Juniper", "Kestrel", "Larkspur", "Mirabel", "Northwind", "Orchid", "Pinecrest",
    "Quillon", "Redwood", "Saltmarsh", "Tidewater", "Umbra", "Vantage", "Westbrook", "Yarrow",
    "Zephyr", "Alder", "Beacon", "Cypress", "Driftwood", "Ember", "Foxglove", "Glacier", "Harbor",
    "Indigo", "Jasper", "Keystone", "Lumen", "Meadow", "Nimbus", "Obsidian", "Paragon", "Quarry",
    "Ridgeline", "Summit", "Thistle", "Upland", "Verdant", "Willow", "Xenon", "Yukon", "Zenith",
    "Aurora", "Boreal", "Cascade", "Delta", "Estuary", "Falcon", "Gallant", "Heron", "Islet",
    "Juno", "Kodiak", "Lotus", "Monarch", "Nova", "Onyx", "Pioneer", "Quasar", "Raven", "Saber",
    "Tundra", "Ursa", "Vesper", "Wren", "Yeoman", "Zodiac", "Atlas", "Bristol", "Copper", "Dawn",
]
ADJECTIVES = [
    "classic", "modern", "compact", "deluxe", "portable", "rustic", "sleek", "vintage", "tough",
    "elegant", "premium", "smart", "folding", "wireless", "ergonomic", "heavy", "slim", "cozy",
    "bright", "quiet", "sturdy", "gentle", "bold", "minimal", "handmade", "organic", "durable",
    "lightweight", "waterproof", "adjustable", "stackable", "reusable", "magnetic", "insulated",
    "padded", "retro", "nordic", "tropical", "urban", "royal", "golden", "silver", "crimson",
    "azure", "ivory", "charcoal", "emerald", "amber", "scarlet", "violet",
]
MATERIALS = [
    "bamboo", "ceramic", "cotton", "denim", "glass", "leather", "linen", "marble", "maple",
    "nylon", "walnut", "velvet", "wool", "steel", "titanium", "aluminum", "porcelain", "rattan",
    "silicone", "suede", "teak", "tweed", "acrylic", "birch", "canvas", "cedar", "chrome",
    "corduroy", "felt", "fleece", "granite", "hemp", "jute", "lacquer", "mesh", "pewter",
    "quartz", "resin", "satin", "slate", "terracotta", "vinyl", "wicker", "zinc", "brass",
    "carbon", "enamel", "flannel", "gingham", "jersey",
]
NOUNS = [
    "lamp", "chair", "kettle", "backpack", "blender", "blanket", "bottle", "bowl", "candle",
    "clock", "cushion", "desk", "drone", "earbuds", "easel", "fan", "frame", "grill", "guitar",
    "hammock", "headphones", "helmet", "jacket", "journal", "keyboard", "ladder", "lantern",
    "mirror", "monitor", "mug", "notebook", "organizer", "pan", "pillow", "planter", "printer",
    "projector", "purse", "radio", "rug", "scarf", "sneakers", "speaker", "stool", "sweater",
    "tablet", "teapot", "tent", "toaster", "towel", "tripod", "umbrella", "vase", "wallet",
    "watch", "whisk", "wok", "yoga mat", "sofa", "shelf", "sandals", "puzzle", "poster", "router",
    "skillet", "spatula", "thermos", "trolley", "tumbler", "valise",
]
FIRST_NAMES = [
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William",
    "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Charles", "Karen", "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty", "Mark",
    "Margaret", "Donald", "Sandra", "Steven", "Ashley", "Paul", "Kimberly", "Andrew", "Emily",
    "Joshua", "Donna", "Kenneth", "Michelle", "Kevin", "Carol", "Brian", "Amanda", "George",
    "Melissa", "Timothy", "Deborah", "Ronald", "Stephanie", "Aiko", "Bruno", "Chloe", "Dmitri",
    "Elena", "Farah", "Goran", "Hana", "Ines", "Jonas",
]
LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Tanaka", "Muller", "Rossi", "Dubois",
    "Kowalski", "Novak", "Larsen", "Silva", "Costa", "Weber",
]
EMAIL_DOMAINS = ["example.com", "Example.com", "mail.test", "Mail.Test", "shop.example",
                 "GMAIL.example", "outlook.example", "Proton.example"]
CITIES = [
    ("Berlin", "DE"), ("Hamburg", "DE"), ("Munich", "DE"), ("Paris", "FR"), ("Lyon", "FR"),
    ("Madrid", "ES"), ("Barcelona", "ES"), ("Rome", "IT"), ("Milan", "IT"), ("Vienna", "AT"),
    ("Warsaw", "PL"), ("Prague", "CZ"), ("Amsterdam", "NL"), ("Brussels", "BE"),
    ("Lisbon", "PT"), ("Dublin", "IE"), ("London", "GB"), ("Manchester", "GB"),
    ("New York", "US"), ("Chicago", "US"), ("Austin", "US"), ("Seattle", "US"),
    ("Toronto", "CA"), ("Sydney", "AU"), ("Tokyo", "JP"),
]
STREETS = ["Main St", "High St", "Station Rd", "Park Ave", "Church Ln", "Mill Rd", "Oak Ave",
           "Lake View", "Market Sq", "River Rd"]
CATEGORY_TREE = {
    "Electronics": ["Phones", "Laptops", "Audio", "Cameras", "Accessories"],
    "Home": ["Furniture", "Lighting", "Decor", "Bedding", "Storage"],
    "Kitchen": ["Cookware", "Appliances", "Tableware", "Cutlery", "Bakeware"],
    "Garden": ["Plants", "Tools", "Outdoor Furniture", "Grills", "Watering"],
    "Sports": ["Fitness", "Cycling", "Camping", "Running", "Yoga"],
    "Toys": ["Puzzles", "Board Games", "Building Sets", "Dolls", "Outdoor Toys"],
    "Fashion": ["Shoes", "Bags", "Jackets", "Knitwear", "Watches"],
    "Beauty": ["Skincare", "Haircare", "Fragrance", "Makeup", "Bath"],
    "Books": ["Fiction", "Cooking Books", "Travel", "Children", "Science"],
    "Office": ["Stationery", "Desks", "Printers", "Organizers", "Notebooks"],
}
REVIEW_WORDS = [
    "great", "quality", "arrived", "quickly", "works", "as", "expected", "would", "buy", "again",
    "not", "worth", "the", "price", "broke", "after", "a", "week", "love", "it", "color", "is",
    "slightly", "different", "than", "pictured", "good", "value", "for", "money", "packaging",
    "was", "damaged", "but", "product", "fine", "excellent", "service", "recommend", "to",
    "friends", "size", "runs", "small", "very", "comfortable", "sturdy", "and", "easy", "use",
]
