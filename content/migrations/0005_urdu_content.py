"""The shipped content's Urdu: page titles, headings, leads and descriptions, section headings,
conditions (name, summary, muscles, description), FAQ categories and questions.

Written for a Karachi patient, not word for word. The longer Markdown texts (section bodies,
conditions' "what it is" and "how it helps", FAQ answers, testimonials) follow in 0006. Only
empty Urdu fields are filled, so a rerun never overwrites what staff wrote.
"""

from django.db import migrations

DN = " کراچی میں Aspire کے فزیوتھراپسٹ سے ڈرائی نیڈلنگ۔"

PAGES = {
    "home": {
        "title": "کراچی میں ڈرائی نیڈلنگ فزیوتھراپی | Aspire Wellness",
        "heading": "کراچی میں فزیوتھراپسٹ کے ہاتھوں ڈرائی نیڈلنگ",
        "meta_description": (
            "Aspire Wellness کے فزیوتھراپسٹ ڈرائی نیڈلنگ سے پٹھوں کی گرہیں کھول کر درد کم کرتے ہیں۔ "
            "کراچی میں اپنے قریب کے کلینک میں آن لائن سیشن بُک کریں۔"
        ),
        "lead": (
            "دفتر میں لمبے دن گزار کر گردن اکڑ گئی ہے، کمر کا درد جان نہیں چھوڑتا، ٹانگ میں سائٹیکا کا درد اترتا ہے، "
            "یا دوڑنے کے بعد ران کے پچھلے پٹھے بار بار کھنچ جاتے ہیں؟ ہمارے فزیوتھراپسٹ ڈرائی نیڈلنگ سے درد کے "
            "پیچھے چھپی گرہیں کھولتے ہیں، تاکہ آپ پھر سے آرام سے چل پھر سکیں۔"
        ),
    },
    "dry-needling": {
        "title": "ڈرائی نیڈلنگ: یہ کیسے کام کرتی ہے، کیا توقع رکھیں | Aspire Wellness",
        "heading": "ڈرائی نیڈلنگ: یہ کیا ہے اور سیشن میں کیا ہوتا ہے",
        "meta_description": (
            "ڈرائی نیڈلنگ آکیوپنکچر سے کیسے مختلف ہے، ٹرگر پوائنٹس کیسے کھلتے ہیں، سیشن کیسا ہوتا ہے، "
            "کتنے سیشن درکار ہیں، حفاظت اور بعد کی احتیاط۔"
        ),
        "lead": (
            "پہلے سیشن سے پہلے جو کچھ آپ جاننا چاہیں گے: علاج کیسے کام کرتا ہے، آپ کیا محسوس کریں گے، "
            "زیادہ تر لوگوں کو کتنی بار آنا پڑتا ہے، اور بعد میں اپنا خیال کیسے رکھنا ہے۔"
        ),
    },
}

SECTION_HEADINGS = {
    ("home", "what-is-dry-needling"): "ڈرائی نیڈلنگ کیا ہے؟",
    ("home", "who-it-helps"): "یہ کن لوگوں کے لیے مفید ہے",
    ("dry-needling", "vs-acupuncture"): "ڈرائی نیڈلنگ آکیوپنکچر نہیں ہے",
    ("dry-needling", "how-it-works"): "یہ کیسے کام کرتی ہے",
    ("dry-needling", "benefits"): "اس سے آپ کو کیا فائدہ ہو سکتا ہے",
    ("dry-needling", "your-session"): "آپ کا سیشن: پہلے، دوران اور بعد میں",
    ("dry-needling", "how-many-sessions"): "آپ کو کتنے سیشن درکار ہوں گے",
    ("dry-needling", "safety"): "حفاظت اور سائیڈ ایفیکٹس",
    ("dry-needling", "aftercare"): "سیشن کے بعد احتیاط اور مشورے",
}

CONDITIONS = {
    "sciatica": (
        "عرق النساء (سائٹیکا)",
        "کولہے سے ٹانگ تک اترتا درد، جو اکثر کولہے اور کمر کے نچلے حصے کے اکڑے ہوئے پٹھوں کی وجہ سے ہوتا ہے۔",
        "پائری فارمس اور کولہے کے دوسرے گہرے پٹھے، کمر کے نچلے حصے کے پٹھے",
    ),
    "shoulder-and-neck-pain": (
        "کندھے اور گردن کا درد",
        "ٹریپیزیئس اور لیویٹر اسکیپولی پٹھوں میں گرہوں سے ہونے والی اکڑن، سر درد اور بازو کا درد۔",
        "اوپری ٹریپیزیئس، لیویٹر اسکیپولی",
    ),
    "tight-hamstrings-and-calves": (
        "ران کے پچھلے پٹھوں اور پنڈلیوں کی اکڑن",
        "دوڑنے والوں اور کھلاڑیوں کے لیے: ڈھیلے پٹھے، بہتر لچک اور چوٹ کا کم خطرہ۔",
        "ہیمسٹرنگز، گیسٹروکنیمیئس اور سولیئس (پنڈلی)",
    ),
    "plantar-fasciitis": (
        "ایڑی کا درد (پلانٹر فیشائٹس)",
        "پاؤں کے چھوٹے پٹھوں اور پنڈلی کے علاج سے ایڑی اور تلوے کے درد میں آرام۔",
        "پاؤں کے چھوٹے پٹھے، پنڈلی کے پٹھے",
    ),
    "tmj": (
        "جبڑے کا درد (TMJ)",
        "چبانے والے پٹھوں کو ڈھیلا کر کے جبڑے کے درد، کٹ کٹ کی آواز اور دانت بھینچنے میں آرام۔",
        "میسیٹر، ٹیمپورالس اور جبڑے کے دوسرے پٹھے",
    ),
    "chronic-back-pain": (
        "پرانا کمر درد",
        "لمبے عرصے سے چلا آنے والا کمر درد، جس میں پٹھوں کا گہرا تناؤ حرکت روک دیتا ہے۔",
        "ایریکٹر اسپائنی، کواڈریٹس لمبورم، کولہے کے پٹھے",
    ),
    "tension-headaches-and-migraines": (
        "تناؤ کا سر درد اور مائیگرین",
        "گردن، کندھے اور جبڑے کے پٹھوں کی گرہوں سے ہونے والا سر درد۔",
        "اوپری ٹریپیزیئس، سب آکسیپیٹل پٹھے، ٹیمپورالس",
    ),
    "myofascial-pain-syndrome": (
        "مائیوفیشل پین سنڈروم",
        "بہت سے ٹرگر پوائنٹس سے ہونے والا مسلسل درد، جس کا علاج پٹھے میں اس کی جڑ پر کیا جاتا ہے۔",
        "وہ پٹھے جن میں ٹرگر پوائنٹس ہوں، اکثر گردن، کندھے اور کمر",
    ),
}

FAQ_CATEGORIES = {
    "About the treatment": "علاج کے بارے میں",
    "Your session": "آپ کا سیشن",
    "Results and safety": "نتائج اور حفاظت",
    "Booking": "بکنگ",
}

FAQ_QUESTIONS = {
    "What is dry needling?": "ڈرائی نیڈلنگ کیا ہے؟",
    "How is it different from acupuncture?": "یہ آکیوپنکچر سے کیسے مختلف ہے؟",
    "Who performs it?": "یہ علاج کون کرتا ہے؟",
    "Does it replace physiotherapy?": "کیا یہ فزیوتھراپی کی جگہ لے لیتی ہے؟",
    "Does it hurt?": "کیا اس میں درد ہوتا ہے؟",
    "What happens in a first session?": "پہلے سیشن میں کیا ہوتا ہے؟",
    "What should I do after a session?": "سیشن کے بعد مجھے کیا کرنا چاہیے؟",
    "How soon will I feel results?": "فرق کتنی جلدی محسوس ہو گا؟",
    "How many sessions will I need?": "مجھے کتنے سیشن لینے ہوں گے؟",
    "Is it safe?": "کیا یہ محفوظ ہے؟",
    "What side effects are normal, and how long do they last?": "کون سے سائیڈ ایفیکٹس عام ہیں، اور کتنی دیر رہتے ہیں؟",
    "Can teenagers or older adults have dry needling?": "کیا نوجوان یا بزرگ ڈرائی نیڈلنگ کروا سکتے ہیں؟",
    "How do I book a session?": "سیشن کیسے بُک کروں؟",
}


def _fill(obj, **values):
    """Set each empty Urdu field; return whether anything changed."""
    changed = [name for name, value in values.items() if not getattr(obj, f"{name}_ur")]
    for name in changed:
        setattr(obj, f"{name}_ur", values[name])
    if changed:
        obj.save(update_fields=[f"{name}_ur" for name in changed])


def add_urdu(apps, schema_editor):
    Page = apps.get_model("content", "Page")
    PageSection = apps.get_model("content", "PageSection")
    Condition = apps.get_model("content", "Condition")
    FAQCategory = apps.get_model("content", "FAQCategory")
    FAQ = apps.get_model("content", "FAQ")
    for page in Page.objects.filter(key__in=PAGES):
        _fill(page, **PAGES[page.key])
    for section in PageSection.objects.select_related("page"):
        heading = SECTION_HEADINGS.get((section.page.key, section.anchor))
        if heading:
            _fill(section, heading=heading)
    for condition in Condition.objects.filter(slug__in=CONDITIONS):
        name, summary, muscles = CONDITIONS[condition.slug]
        _fill(condition, name=name, summary=summary, muscles=muscles, meta_description=summary + DN)
    for category in FAQCategory.objects.all():
        if category.name_en_gb in FAQ_CATEGORIES:
            _fill(category, name=FAQ_CATEGORIES[category.name_en_gb])
    for faq in FAQ.objects.all():
        if faq.question_en_gb in FAQ_QUESTIONS:
            _fill(faq, question=FAQ_QUESTIONS[faq.question_en_gb])


class Migration(migrations.Migration):
    dependencies = [("content", "0004_english_into_translation_fields")]
    operations = [migrations.RunPython(add_urdu, migrations.RunPython.noop)]
