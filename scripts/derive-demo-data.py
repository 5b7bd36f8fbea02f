#!/usr/bin/env python3
"""Derive the compact demo dataset in server/data/demo/ from the UCI "Online Retail" data.

Usage (from the repository root):

    python3 scripts/derive-demo-data.py [INTERACTIONS_CSV_GZ [CATALOG_CSV_GZ [OUT_DIR]]]

Defaults: ../shared/data/online_retail/interactions.csv.gz,
          ../shared/data/online_retail/catalog.csv.gz (relative to the repository root),
          server/data/demo.

Inputs (cleaned exports of the UCI data):
  interactions.csv.gz  user_id,item_id,ts,event,order_id,qty,price
  catalog.csv.gz       item_id,title,category,price   (category is always empty)

Outputs:
  products.csv.gz  item_id,handle,title,price_minor,product_type,tags
  orders.csv.gz    customer_id,order_id,ts,item_id,qty,unit_price_minor
  shoppers.csv     customer_id,name,description

Everything is deterministic: customers are chosen by a SHA-256 hash of their id, all ties
are broken explicitly, and gzip is written with mtime=0, so reruns are byte-identical.
Python 3.11 standard library only.
"""

import collections
import csv
import gzip
import hashlib
import io
import os
import re
import sys
from decimal import ROUND_HALF_UP, Decimal

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_INTERACTIONS = os.path.join(REPO_ROOT, "..", "shared", "data", "online_retail", "interactions.csv.gz")
DEFAULT_CATALOG = os.path.join(REPO_ROOT, "..", "shared", "data", "online_retail", "catalog.csv.gz")
DEFAULT_OUT = os.path.join(REPO_ROOT, "server", "data", "demo")

# ---- sampling parameters -------------------------------------------------------------------
HASH_SALT = b"attune-demo-v1:"
MULTI_ORDER_CUSTOMERS = 720  # customers with >= 2 orders (whole histories)
SINGLE_ORDER_CUSTOMERS = 200  # customers with exactly 1 order
# Accounts whose whole history exceeds this many order lines are wholesale-scale buyers; they
# are not eligible (one of them alone can hold several thousand lines).
MAX_LINES_PER_CUSTOMER = 300
# Catalog entries that are not merchandise (service charges); their lines are dropped.
NON_PRODUCT_ITEMS = {"23444", "23702"}  # "Next Day Carriage", "High Resolution Image"

# ---- demo shoppers ---------------------------------------------------------------------------
SHOPPER_NAMES = ["Shopper A — Ada", "Shopper B — Bram", "Shopper C — Cleo", "Shopper D — Dov"]
SHOPPER_MIN_ORDERS = 5
SHOPPER_MIN_LINES = 30

# ---- title casing ----------------------------------------------------------------------------
SMALL_WORDS = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with"}
ACRONYMS = {"LED", "CD", "UK", "USA", "DIY", "3D"}

# ---- product types: first matching row wins --------------------------------------------------
# Keywords are matched as whole words (or word sequences) against the upper-cased title with
# every non-alphanumeric character treated as a space, so "T-LIGHT" matches "T LIGHT".
PRODUCT_TYPES = [
    ("Christmas", ["CHRISTMAS", "XMAS", "ADVENT", "SANTA", "REINDEER", "NATIVITY", "BAUBLE",
                   "YULETIDE", "SNOWFLAKE"]),
    ("Candles & lights", ["CANDLE", "CANDLES", "T LIGHT", "T LIGHTS", "TEA LIGHTS", "TEALIGHT", "LANTERN",
                          "NIGHT LIGHT", "LIGHTS", "LAMP", "INCENSE", "OIL BURNER"]),
    ("Party", ["PARTY", "NAPKINS", "PAPER CUPS", "PAPER PLATES", "BUNTING", "BALLOON", "BALLOONS", "CAKE CASES",
               "CONFETTI"]),
    ("Bags", ["BAG", "BAGS", "HANDBAG", "SHOPPER", "TOTE"]),
    ("Toys & games", ["TOY", "TOYS", "JIGSAW", "GAME", "GAMES", "DOLL", "PLAYHOUSE", "SKIPPING ROPE",
                      "CRAYONS", "PUZZLE", "DOMINOES", "INFLATABLE"]),
    ("Mugs & cups", ["MUG", "MUGS", "CUP", "CUPS", "TEACUP", "TEACUPS", "BEAKER"]),
    ("Cards & wrap", ["CARD", "CARDS", "WRAP", "WRAPPING", "GIFT TAPE", "TISSUES", "ENVELOPE", "PAPER"]),
    ("Signs", ["SIGN", "PLAQUE"]),
    ("Stationery", ["PENCIL", "PENCILS", "PEN", "PENS", "NOTEBOOK", "STICKER", "STICKERS", "ERASER", "ERASERS",
                    "RULER", "SHARPENER", "JOURNAL", "NOTEPAD", "STATIONERY", "SKETCHBOOK", "POCKET BOOK",
                    "ADDRESS BOOK", "WRITING SET", "TAPE", "TAPES", "SCISSOR"]),
    ("Jewellery & accessories", ["NECKLACE", "BRACELET", "EARRINGS", "RING", "BROOCH", "HAIR", "PURSE",
                                 "UMBRELLA", "BEAD", "BEADS", "PASSPORT COVER", "LUGGAGE TAG", "WASHBAG"]),
    ("Home textiles", ["CUSHION", "HOT WATER BOTTLE", "THROW", "BLANKET", "DOORMAT", "DOORSTOP",
                       "TOWEL", "TOWELS", "FLANNEL", "QUILT"]),
    ("Kitchen", ["LUNCH BOX", "BOTTLE", "JAR", "JARS", "TIN", "TINS", "CAKE", "BAKING", "CUTLERY",
                 "BOWL", "BOWLS", "PLATE", "PLATES", "TRAY", "DISH", "COASTER", "COASTERS",
                 "APRON", "OVEN GLOVE", "KITCHEN", "CAKESTAND", "JUG", "TEAPOT", "SPOON", "SPOONS",
                 "PANTRY", "FOOD", "CHOPPING BOARD", "GOBLET", "WINE", "WASHING UP"]),
    ("Garden", ["GARDEN", "PLANT", "PLANTER", "WATERING CAN", "BIRD FEEDER", "PARASOL", "HAMMOCK"]),
    ("Knobs & hooks", ["KNOB", "KNOBS", "DRAWERKNOB", "DOORKNOB", "HOOK", "HOOKS", "COAT RACK"]),
    ("Storage & frames", ["BOX", "BOXES", "FRAME", "MIRROR", "CLOCK", "DRAWER",
                          "CABINET", "BASKET", "STORAGE", "HANGER", "HANGERS", "SHELF"]),
    ("Decorations", ["DECORATION", "DECORATIONS", "GARLAND", "WREATH", "HANGING", "ORNAMENT", "WALL ART",
                     "LETTERS"]),
]
FALLBACK_TYPE = "Gifts & home"

# Phrases used to describe a shopper's dominant product type.
TYPE_PHRASES = {
    "Christmas": "Christmas decorations and gifts",
    "Candles & lights": "candles, T-light holders and lights",
    "Party": "party tableware and bunting",
    "Bags": "bags and totes",
    "Mugs & cups": "mugs and cups",
    "Cards & wrap": "cards, gift wrap and paper goods",
    "Signs": "metal signs and plaques",
    "Kitchen": "kitchen and baking items",
    "Jewellery & accessories": "jewellery and accessories",
    "Stationery": "stationery",
    "Toys & games": "toys and games",
    "Garden": "garden items",
    "Knobs & hooks": "drawer knobs and hooks",
    "Storage & frames": "storage, frames and clocks",
    "Decorations": "hanging decorations",
    "Home textiles": "cushions and home textiles",
    FALLBACK_TYPE: "assorted gifts and homeware",
}

# ---- tags: words found in the title ----------------------------------------------------------
TAG_WORDS = [
    "red", "pink", "blue", "green", "white", "black", "ivory", "cream", "silver", "gold", "purple",
    "yellow", "orange", "vintage", "retro", "retrospot", "polkadot", "heart", "floral", "rose",
    "french", "glass", "metal", "wooden", "ceramic", "zinc", "enamel", "easter",
]


def stable_hash(customer_id):
    return hashlib.sha256(HASH_SALT + customer_id.encode("utf-8")).hexdigest()


def to_minor(price):
    """Decimal pounds string -> integer pence, rounding half up."""
    return int((Decimal(price) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def normalize_spacing(raw):
    s = raw.strip()
    s = re.sub(r",\s*(?=\S)", ", ", s)  # "TEA,COFFEE" -> "TEA, COFFEE"
    s = re.sub(r"\s+", " ", s)
    return s.strip(" ,.")


def title_case(raw):
    """'WHITE HANGING HEART T-LIGHT HOLDER' -> 'White Hanging Heart T-Light Holder'."""
    tokens = normalize_spacing(raw).split(" ")
    out = []
    for i, token in enumerate(tokens):
        if token.upper() in ACRONYMS:
            out.append(token.upper())
            continue
        if i > 0 and token.lower() in SMALL_WORDS:
            out.append(token.lower())
            continue

        def fix(m):
            word = m.group(0)
            start = m.start()
            # letters glued to a number are units or dimensions: 60CM, 25X24X12CM, 3.5G, 50'S
            before = m.string[:start].rstrip("'")
            if before and before[-1].isdigit():
                return word.lower()
            return word[0].upper() + word[1:].lower()

        out.append(re.sub(r"[A-Za-z][A-Za-z']*", fix, token))
    return " ".join(out)


def slugify(title):
    return re.sub(r"[^a-z0-9]+", "-", title.lower().replace("'", "")).strip("-")


def keyword_text(title):
    return " " + re.sub(r"[^A-Z0-9]+", " ", title.upper()).strip() + " "


def product_type(title):
    text = keyword_text(title)
    for name, keywords in PRODUCT_TYPES:
        for kw in keywords:
            if " " + kw + " " in text:
                return name
    return FALLBACK_TYPE


def tags_for(title):
    words = set(keyword_text(title).lower().split())
    if "hearts" in words:
        words.add("heart")
    return "|".join(t for t in TAG_WORDS if t in words)


def write_csv_gz(path, header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    data = buf.getvalue().encode("utf-8")
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
            gz.write(data)
    return os.path.getsize(path)


def main(argv):
    interactions_path = argv[1] if len(argv) > 1 else DEFAULT_INTERACTIONS
    catalog_path = argv[2] if len(argv) > 2 else DEFAULT_CATALOG
    out_dir = argv[3] if len(argv) > 3 else DEFAULT_OUT

    with gzip.open(catalog_path, "rt", encoding="utf-8", newline="") as f:
        catalog = {r["item_id"]: r for r in csv.DictReader(f)}

    # Read every purchase line, keeping input order as the final tie-breaker.
    lines_by_customer = collections.defaultdict(list)
    with gzip.open(interactions_path, "rt", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if r["event"] != "purchase" or r["item_id"] in NON_PRODUCT_ITEMS:
                continue
            if r["item_id"] not in catalog or not r["price"]:
                continue
            lines_by_customer[r["user_id"]].append(r)

    # ---- choose customers ----
    multi, single = [], []
    for cid, rows in lines_by_customer.items():
        if len(rows) > MAX_LINES_PER_CUSTOMER:
            continue
        n_orders = len({r["order_id"] for r in rows})
        (multi if n_orders >= 2 else single).append(cid)
    multi.sort(key=lambda c: (stable_hash(c), c))
    single.sort(key=lambda c: (stable_hash(c), c))
    chosen = set(multi[:MULTI_ORDER_CUSTOMERS]) | set(single[:SINGLE_ORDER_CUSTOMERS])

    # ---- orders ----
    order_rows = []
    for cid in sorted(chosen):
        for seq, r in enumerate(lines_by_customer[cid]):
            order_rows.append((r["ts"], r["order_id"], cid, seq, r))
    order_rows.sort(key=lambda t: (t[0], t[1], t[2], t[3]))
    orders_out = []
    for ts, order_id, cid, _seq, r in order_rows:
        unit = to_minor(r["price"])
        if unit < 1:
            raise SystemExit(f"price below one penny in order {order_id} item {r['item_id']}")
        orders_out.append((cid, order_id, ts, r["item_id"], int(r["qty"]), unit))

    # ---- products ----
    item_ids = sorted({row[3] for row in orders_out})
    titles = {}
    for iid in item_ids:
        t = title_case(catalog[iid]["title"])
        if not t:
            raise SystemExit(f"empty title for item {iid}")
        titles[iid] = t
    slug_count = collections.Counter(slugify(t) for t in titles.values())
    products_out = []
    types = {}
    for iid in item_ids:
        title = titles[iid]
        handle = slugify(title)
        if slug_count[handle] > 1:  # colliding titles: every member gets its item id appended
            handle = f"{handle}-{slugify(iid)}"
        price = to_minor(catalog[iid]["price"])
        if price < 1:
            raise SystemExit(f"catalog price below one penny for item {iid}")
        types[iid] = product_type(title)
        products_out.append((iid, handle, title, price, types[iid], tags_for(title)))
    handles = [p[1] for p in products_out]
    assert len(handles) == len(set(handles)), "handles not unique"

    # ---- demo shoppers: different dominant product types ----
    per_customer = collections.defaultdict(lambda: {"orders": set(), "types": collections.Counter()})
    for cid, order_id, _ts, iid, _qty, _unit in orders_out:
        per_customer[cid]["orders"].add(order_id)
        per_customer[cid]["types"][types[iid]] += 1
    candidates = []
    for cid, info in per_customer.items():
        n_lines = sum(info["types"].values())
        if len(info["orders"]) < SHOPPER_MIN_ORDERS or n_lines < SHOPPER_MIN_LINES:
            continue
        top_type, top_n = min(info["types"].items(), key=lambda kv: (-kv[1], kv[0]))
        if top_type == FALLBACK_TYPE:
            continue
        share = Decimal(top_n) / Decimal(n_lines)
        candidates.append((-share, stable_hash(cid), cid, top_type, top_n, n_lines, len(info["orders"])))
    candidates.sort()
    shoppers, used_types = [], set()
    for _neg_share, _h, cid, top_type, top_n, n_lines, n_orders in candidates:
        if top_type in used_types:
            continue
        used_types.add(top_type)
        pct = round(100 * top_n / n_lines)
        desc = (f"Buys mostly {TYPE_PHRASES[top_type]} ({top_type}: {pct}% of {n_lines} order lines, "
                f"{n_orders} orders)")
        shoppers.append((cid, SHOPPER_NAMES[len(shoppers)], desc))
        if len(shoppers) == len(SHOPPER_NAMES):
            break
    if len(shoppers) < len(SHOPPER_NAMES):
        raise SystemExit("could not find enough demo shoppers with different dominant types")

    # ---- write ----
    os.makedirs(out_dir, exist_ok=True)
    p_bytes = write_csv_gz(os.path.join(out_dir, "products.csv.gz"),
                           ["item_id", "handle", "title", "price_minor", "product_type", "tags"], products_out)
    o_bytes = write_csv_gz(os.path.join(out_dir, "orders.csv.gz"),
                           ["customer_id", "order_id", "ts", "item_id", "qty", "unit_price_minor"], orders_out)
    with open(os.path.join(out_dir, "shoppers.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["customer_id", "name", "description"])
        w.writerows(shoppers)

    orders_per_customer = collections.Counter()
    for cid, order_id in {(r[0], r[1]) for r in orders_out}:
        orders_per_customer[cid] += 1
    multi_n = sum(1 for v in orders_per_customer.values() if v >= 2)
    single_n = sum(1 for v in orders_per_customer.values() if v == 1)
    print(f"customers: {len(orders_per_customer)} ({multi_n} with >= 2 orders, {single_n} with 1 order)")
    print(f"orders: {sum(orders_per_customer.values())}")
    print(f"order lines: {len(orders_out)}")
    print(f"items: {len(products_out)}")
    print(f"dates: {orders_out[0][2]} .. {orders_out[-1][2]}")
    print(f"bytes: products.csv.gz {p_bytes}, orders.csv.gz {o_bytes}, total {p_bytes + o_bytes}")
    type_counts = collections.Counter(p[4] for p in products_out)
    by_count = sorted(type_counts.items(), key=lambda kv: (-kv[1], kv[0]))
    print("product types: " + ", ".join(f"{k} {v}" for k, v in by_count))
    for s in shoppers:
        print(f"shopper: {s[0]} | {s[1]} | {s[2]}")


if __name__ == "__main__":
    main(sys.argv)
