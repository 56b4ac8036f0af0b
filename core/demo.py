"""A realistic Khlong Hae-like data set for trying the system: households, groups, plots, products.

Deterministic (a fixed random seed) and additive: running it again adds only what is missing.
The names are invented; phone numbers and IDs are made up and marked as demo data.
"""
import datetime
import random
from decimal import Decimal

from core import households, products, programme
from core.db import db
from core.models import Course, Household, OccupationGroup, Product
from core.validation import local_today, national_id_is_valid

SEED = 2566
HOUSEHOLD_COUNT = 40
VILLAGES = range(1, 8)

OCCUPATION_GROUPS = [
    ("กลุ่มปลูกผักตามแนวเศรษฐกิจพอเพียง", "Sufficiency-economy vegetable growers",
     "ปลูกผักในครัวเรือนตามแนวทางเศรษฐกิจพอเพียง"),
    ("กลุ่มจักสานใบเตย ใบมะพร้าว ใบตาล", "Pandan, coconut and palmyra-leaf weavers",
     "ดอกไม้และของใช้ในครัวเรือนจากใบเตย ใบมะพร้าว และใบตาล"),
    ("กลุ่มเพาะเห็ด", "Mushroom growers", "เพาะเห็ดนางฟ้า เห็ดนางรม และเห็ดฟาง"),
    ("กลุ่มเลี้ยงชันโรง", "Stingless-bee keepers", "เลี้ยงชันโรงเพื่อเก็บน้ำผึ้ง"),
    ("กลุ่มติดตั้งโซลาร์เซลล์ครัวเรือน", "Household solar-cell installers",
     "ติดตั้งโซลาร์เซลล์เพื่อลดค่าไฟฟ้าในครัวเรือน"),
]

# (Thai name, English name, unit, category, certifiable, price in baht)
PRODUCTS = [
    ("ผักบุ้งจีน", "Chinese water spinach", "bunch", "vegetable", True, "10"),
    ("คะน้า", "Chinese kale", "kg", "vegetable", True, "60"),
    ("ผักกาดหอม", "Lettuce", "kg", "vegetable", True, "80"),
    ("ผักกวางตุ้ง", "Choy sum", "kg", "vegetable", True, "50"),
    ("พริกขี้หนู", "Bird's eye chilli", "kg", "vegetable", True, "120"),
    ("มะเขือเปราะ", "Thai eggplant", "kg", "vegetable", True, "40"),
    ("ถั่วฝักยาว", "Yardlong bean", "bunch", "vegetable", True, "20"),
    ("ตะไคร้", "Lemongrass", "bunch", "vegetable", True, "10"),
    ("ใบกะเพรา", "Holy basil", "bunch", "vegetable", True, "10"),
    ("แตงกวา", "Cucumber", "kg", "vegetable", True, "35"),
    ("เห็ดนางฟ้า", "Grey oyster mushroom", "kg", "mushroom", True, "80"),
    ("เห็ดนางรม", "Oyster mushroom", "kg", "mushroom", True, "80"),
    ("เห็ดฟาง", "Straw mushroom", "kg", "mushroom", True, "120"),
    ("น้ำผึ้งชันโรง", "Stingless-bee honey", "bottle", "honey", True, "350"),
    ("ดอกไม้ใบเตย", "Pandan-leaf flowers", "piece", "handicraft", False, "30"),
    ("ตะกร้าสานใบมะพร้าว", "Woven coconut-leaf basket", "piece", "handicraft", False, "120"),
    ("กระเป๋าสานใบตาล", "Woven palmyra-leaf bag", "piece", "handicraft", False, "250"),
    ("น้ำหมักชีวภาพ", "Bio-extract", "bottle", "other", False, "40"),
]

FIRST_NAMES = [
    "สมชาย", "สมศรี", "ประเสริฐ", "มาลี", "บุญมี", "สุนีย์", "อำนาจ", "จันทร์เพ็ญ", "วิชัย",
    "ละออ", "สมปอง", "ประไพ", "เจริญ", "ทองใบ", "สุดา", "ชูชาติ", "อารีย์", "ยุพิน", "ดำรง",
    "นิตยา", "อับดุลเลาะ", "ฮาซัน", "รอฮานี", "มูฮัมหมัด", "ซาลีมะห์", "ฟาตีเมาะ", "กอเซ็ม",
    "สุไหลหมาน", "ก้อเหรียม", "เพ็ญศรี",
]
SURNAMES = [
    "แก้วมณี", "ทองคำ", "ศรีสุข", "บุญเรือง", "จันทร์หอม", "หมัดอาดั้ม", "สะอิ", "หลีเส็น",
    "เส็นหละ", "ขุนทอง", "ชูแก้ว", "นวลศรี", "ด้วงทอง", "แสงจันทร์", "พรหมแก้ว", "หมาดหลี",
]
RELATIONSHIPS = ["คู่สมรส", "บุตร", "บุตรสาว", "หลาน", "บิดา", "มารดา"]
# Plot name and what grows there.
PLOTS = {
    "แปลงผักหลังบ้าน": "ผักบุ้ง, คะน้า, ผักกาดหอม",
    "แปลงริมคลอง": "ผักกวางตุ้ง, ถั่วฝักยาว, แตงกวา",
    "โรงเรือนเห็ด": "เห็ดนางฟ้า, เห็ดนางรม",
    "สวนยางแซมผัก": "ตะไคร้, ใบกะเพรา, พริกขี้หนู",
    "แปลงผักสวนครัว": "พริกขี้หนู, มะเขือเปราะ, ตะไคร้",
    "รังชันโรงใต้ต้นมะม่วง": "ชันโรง",
}


def _demo_national_id(rng):
    """A made-up ID with a valid check digit (starting with 9, which is not issued to citizens)."""
    while True:
        value = "9" + "".join(str(rng.randrange(10)) for _ in range(12))
        if national_id_is_valid(value):
            return value


def _household_data(rng, number, village, group_ids):
    first, surname = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
    roll = rng.random()
    status = "active" if roll < 0.55 else "applicant" if roll < 0.75 else "withdrawn" if roll < 0.8 else "none"
    pledge = datetime.date(2023, 6, 1) + datetime.timedelta(days=rng.randrange(500))
    groups = rng.sample(group_ids, k=rng.choice([1, 1, 2, 3]))
    if status != "none" and group_ids[0] not in groups and rng.random() < 0.7:
        groups.append(group_ids[0])
    return {
        "code": f"KH-{village:02d}-{number:03d}",
        "head_name": f"{first} {surname}",
        "display_name": rng.choice([f"สวน{first}", f"บ้าน{first}", f"สวนผักป้า{first}", ""]),
        "village_no": village,
        "address": f"{rng.randrange(1, 250)}/{rng.randrange(1, 9)} หมู่ที่ {village} ต.คลองแห อ.หาดใหญ่ จ.สงขลา",
        "phone": f"08{rng.randrange(1, 10)}-{rng.randrange(100, 1000)}-{rng.randrange(1000, 10000)}",
        "national_id": _demo_national_id(rng) if rng.random() < 0.6 else "",
        "is_elderly": rng.random() < 0.35,
        "is_disabled": rng.random() < 0.1,
        "is_low_income": rng.random() < 0.5,
        "disadvantaged_other": rng.choice(["", "", "", "ผู้ป่วยติดเตียงในบ้าน", "เลี้ยงหลานตามลำพัง"]),
        "grower_status": status,
        "pledge_date": pledge.isoformat() if status in ("active", "applicant", "withdrawn") else "",
        "notes": "ข้อมูลตัวอย่าง (demo)",
        "occupation_group_ids": sorted(set(groups)),
        "sensitive_consent": True,  # the demo's heads "signed" the PDPA consent form
    }


def load_demo_data():
    """Add whatever part of the demo data set is missing; return counts of what was added."""
    rng = random.Random(SEED)
    added = {"occupation_groups": 0, "products": 0, "households": 0, "plots": 0, "members": 0}
    with db.atomic():
        for name_th, name_en, description in OCCUPATION_GROUPS:
            if not OccupationGroup.select().where(OccupationGroup.name_th == name_th).exists():
                households.save_occupation_group(
                    {"name_th": name_th, "name_en": name_en, "description": description}, None
                )
                added["occupation_groups"] += 1
        for name_th, name_en, unit, category, certifiable, price in PRODUCTS:
            if not Product.select().where(Product.name_th == name_th).exists():
                products.create_product({
                    "name_th": name_th, "name_en": name_en, "unit": unit, "category": category,
                    "is_certifiable": certifiable, "default_price": price,
                }, None)
                added["products"] += 1
        # The five curricula's groups by name: the council may have added groups of its own.
        by_name = {g.name_th: g.id for g in OccupationGroup.select()}
        group_ids = [by_name[name_th] for name_th, _name_en, _description in OCCUPATION_GROUPS]
        for number in range(1, HOUSEHOLD_COUNT + 1):
            village = VILLAGES[(number - 1) % len(VILLAGES)]
            data = _household_data(rng, number, village, group_ids)
            members = [(rng.choice(FIRST_NAMES), rng.choice(RELATIONSHIPS), rng.randrange(1950, 2015))
                       for _ in range(rng.randrange(1, 5))]
            plots = [(name, rng.randrange(80, 1600)) for name in rng.sample(sorted(PLOTS), rng.randrange(1, 3))]
            if Household.select().where(Household.code == data["code"]).exists():
                continue
            household = households.create_household(data, None)
            added["households"] += 1
            for first, relationship, year in members:
                households.add_member(household, {
                    "full_name": f"{first} {household.head_name.split()[-1]}",
                    "relationship": relationship, "birth_year": year}, None)
                added["members"] += 1
            if data["grower_status"] != "none":
                for name, square_wa in plots:
                    households.create_plot(household, {
                        "name": name, "area_m2": Decimal(square_wa) * 4, "main_crops": PLOTS[name]}, None)
                    added["plots"] += 1
        added.update(_programme(rng))
    return added


# The five curricula as the council ran them, with their local teachers (made-up names).
COURSES = [
    (1, "ปลูกผักตามแนวทางเศรษฐกิจพอเพียง รุ่นที่ 1", "Sufficiency-economy vegetables, class 1", "ครูสมพร ทองดี"),
    (2, "จักสานดอกไม้และของใช้จากใบเตย ใบมะพร้าว ใบตาล", "Weaving pandan, coconut and palmyra leaves", "ครูละม้าย แก้วมณี"),
    (3, "การเพาะเห็ด", "Mushroom growing", "ครูอนันต์ หมัดอะหลี"),
    (4, "การเลี้ยงชันโรง", "Stingless-bee keeping", "ครูดอเลาะ สาและ"),
    (5, "ติดตั้งโซลาร์เซลล์ในครัวเรือน", "Household solar cells", "ครูวิชัย นาคสุข"),
]
SURVEYED_SHARE = 0.75  # of the households, those the council surveyed at the baseline


def _programme(rng):
    """Courses with sign-ups, sessions and attendance; baseline surveys 13 months ago and follow-ups."""
    if Course.select().exists():
        return {"courses": 0, "surveys": 0}
    today = local_today()
    start = today - datetime.timedelta(days=400)
    everyone = list(Household.select().order_by(Household.code))
    for curriculum, name_th, name_en, teacher in COURSES:
        course = programme.create_course({"curriculum": str(curriculum), "name_th": name_th, "name_en": name_en,
                                          "teacher": teacher, "starts_on": start.isoformat()}, None)
        takers = rng.sample(everyone, k=min(len(everyone), rng.randrange(8, 16)))
        for household in takers:
            programme.sign_up(course, {"household_id": household.id}, None)
        for week in range(4):
            session = programme.add_session(course, {"held_on": (start + datetime.timedelta(days=7 * week)).isoformat(),
                                                     "topic": f"ครั้งที่ {week + 1}"}, None)
            programme.record_attendance(session, [h.id for h in takers if rng.random() < 0.85], None)
    surveys = 0
    for household in everyone:
        if rng.random() > SURVEYED_SHARE:
            continue
        income = rng.randrange(30, 90) * 10000
        expenses = rng.randrange(40, 80) * 10000
        for days, gain, saving in ((0, 0, 0), (182, 12, 5), (365, 22, 10)):  # percent better than the baseline
            programme.save_survey(household, {
                "surveyed_on": (start + datetime.timedelta(days=days + 20)).isoformat(), "is_baseline": days == 0,
                "farming_income": str(income * (100 + gain + rng.randrange(-5, 6)) // 10000),
                "wage_income": str(rng.randrange(0, 30) * 100),
                "expenses": str(expenses * (100 - saving + rng.randrange(-3, 4)) // 10000),
                "home_produced": str(expenses * saving // 10000),
            }, None)
            surveys += 1
    return {"courses": len(COURSES), "surveys": surveys}
