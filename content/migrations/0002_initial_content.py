"""
The site's initial content, so that a new database (production included) has
every page. Staff edit it in the admin afterwards; this migration never runs
again on a database that has it.
"""

from django.db import migrations

HOME = {
    "key": "home",
    "title": "Dry needling physiotherapy in Karachi | Aspire Wellness",
    "heading": "Dry needling by physiotherapists in Karachi",
    "meta_description": (
        "Aspire Wellness physiotherapists use dry needling to release muscle knots, ease pain and "
        "get you moving again. Book a session online at a clinic near you in Karachi."
    ),
    "lead": (
        "Stiff neck from long days at a desk, a back that won't settle, sciatica down one leg or "
        "hamstrings that keep tightening after a run? Our physiotherapists use dry needling to "
        "release the knots behind the pain, so you can move freely again."
    ),
    "sections": [
        (
            "what-is-dry-needling",
            "What is dry needling?",
            "Dry needling, also known as **trigger point dry needling** or **intramuscular "
            "stimulation (IMS)**, is a treatment in which a physiotherapist places very fine, "
            "sterile needles into tight or overworked muscles.\n\n"
            "The needles go into *trigger points*: small, tender knots in the muscle that keep it "
            "from relaxing. When a knot lets go, the muscle often gives a brief twitch, and with it "
            "comes less pain, less stiffness and more movement.\n\n"
            "It rests on anatomy and muscle science, not on traditional Chinese medicine, and it "
            "is a different treatment from acupuncture.",
        ),
        (
            "who-it-helps",
            "Who it helps",
            "- **Aching, tense muscles.** Knots built up by stress, an old injury or the way you "
            "sit. Office workers, drivers and parents who carry tension in the neck, back or "
            "shoulders.\n"
            "- **Long-standing pain.** Sciatica, chronic back and neck pain, tension headaches and "
            "migraines, and myofascial pain syndrome, where deep muscle tension presses on nerves "
            "or holds a joint back.\n"
            "- **Athletes and active people.** Quicker recovery from hard training, muscles that "
            "switch on properly and stay supple, and help with hamstring strains, shin splints "
            "and rotator cuff problems.",
        ),
    ],
}

DRY_NEEDLING = {
    "key": "dry-needling",
    "title": "Dry needling: how it works, what to expect | Aspire Wellness",
    "heading": "Dry needling: what it is and what to expect",
    "meta_description": (
        "How dry needling differs from acupuncture, how it releases trigger points, what a session "
        "is like, how many you need, safety and aftercare."
    ),
    "lead": (
        "Everything you may want to know before your first session: how the treatment works, "
        "what you will feel, how many visits most people need and how to look after yourself "
        "afterwards."
    ),
    "sections": [
        (
            "vs-acupuncture",
            "Dry needling is not acupuncture",
            "Both use thin needles, and there the likeness ends.\n\n"
            "- **Acupuncture** comes from traditional Chinese medicine. It places needles along "
            "meridians to influence the flow of *Qi*, the body's energy in that tradition.\n"
            "- **Dry needling** comes from Western anatomy. A physiotherapist finds the exact "
            "muscle that is tight or overworked, feels for the knot, and treats that spot.\n\n"
            "So the question in dry needling is always *which muscle, and where in it*: that is "
            "why it is done by physiotherapists trained in the anatomy of muscles and nerves.",
        ),
        (
            "how-it-works",
            "How it works",
            "Also called trigger point dry needling or intramuscular stimulation (IMS), the treatment "
            "works on trigger points. A trigger point is a small patch of muscle fibres that has stayed contracted. It "
            "feels like a tender knot, it can send pain elsewhere (a knot in the shoulder may "
            "cause a headache), and it stops the muscle from lengthening.\n\n"
            "Your physiotherapist guides a very thin, solid needle (much finer than the needle "
            "used for an injection) into the knot. The muscle often answers with a quick "
            "*twitch response*, a sign that the knot is letting go. Afterwards the muscle can "
            "relax, blood flows through it more freely and the pain it caused eases.",
        ),
        (
            "benefits",
            "What it can do for you",
            "- **Ease muscle pain and tension**: less pain, more flexibility, and natural movement "
            "back where stress, injury or posture had locked a muscle up.\n"
            "- **Help with chronic pain**: sciatica, long-standing back and neck pain, migraines "
            "and tension headaches, myofascial pain syndrome.\n"
            "- **Support sport and recovery**: faster recovery after hard training, better muscle "
            "activation, and fewer injuries such as hamstring strains, shin splints and rotator "
            "cuff problems.",
        ),
        (
            "your-session",
            "Your session: before, during and after",
            "**Before.** Your physiotherapist asks about your pain and your health, watches how "
            "you move and feels for the muscles and trigger points behind the problem.\n\n"
            "**During.** Fine needles are placed in the affected areas, usually for a few seconds "
            "to a few minutes each. You may feel a quick twitch, a dull ache or a sense of "
            "pressure: that is the trigger point releasing.\n\n"
            "**After.** Expect to feel a little sore, as after a hard workout. Many people notice "
            "relief or a better range of movement straight away. Light bruising or tiredness can "
            "follow and usually fades within one or two days.",
        ),
        (
            "how-many-sessions",
            "How many sessions you will need",
            "Most people need **between two and six sessions**. Pain that has been there for a "
            "long time may take more, spaced regularly.\n\n"
            "Dry needling works best as part of a plan: paired with physiotherapy, mobility work "
            "and strengthening, so the muscle stays free once it has let go.",
        ),
        (
            "safety",
            "Safety and side effects",
            "In the hands of a trained, certified professional, dry needling is a very safe "
            "treatment. Our needles are sterile and used once only. Please avoid practitioners "
            "without proper training: needling done badly can injure.\n\n"
            "Normal after-effects are mild and short-lived:\n\n"
            "- mild bruising where a needle went in;\n"
            "- soreness for 24 to 48 hours;\n"
            "- tiredness, or a heavy feeling in the treated area.\n\n"
            "Drinking water, warmth on the sore spot and gentle stretching or a walk help them "
            "pass. Tell your physiotherapist about any medical condition, pregnancy or blood "
            "thinners before treatment.",
        ),
        (
            "aftercare",
            "Aftercare and tips",
            "- **Keep moving.** Gentle stretching and a walk after treatment help the muscle stay "
            "loose.\n"
            "- **Drink plenty of water** for the rest of the day.\n"
            "- **Use heat** on areas that feel sore.\n"
            "- **Be consistent.** Improvement usually builds over a few sessions, so keep your "
            "follow-up appointments.\n"
            "- **Combine it with physiotherapy**: massage, mobility drills and strengthening keep "
            "the benefit going.",
        ),
    ],
}

CONDITIONS = [
    {
        "slug": "sciatica",
        "name": "Sciatica",
        "summary": "Pain running from the buttock down the leg, often from tight glute and lower-back muscles.",
        "muscles": "piriformis and the other deep gluteal muscles, lower-back muscles",
        "about": (
            "Sciatica is pain along the sciatic nerve: from the lower back or buttock down the back "
            "of the leg, sometimes with tingling or numbness. A common and treatable cause is a "
            "tight muscle that squeezes the nerve on its way past, especially the piriformis deep "
            "in the buttock."
        ),
        "how_it_helps": (
            "Your physiotherapist releases the tight gluteal and lower-back muscles that press on "
            "the nerve. As they relax, the nerve has room again and the pain down the leg eases. "
            "Stretches and strengthening then keep the pressure off."
        ),
    },
    {
        "slug": "shoulder-and-neck-pain",
        "name": "Shoulder and neck pain",
        "summary": "Stiffness, headaches and arm pain from knotted trapezius and levator scapulae muscles.",
        "muscles": "upper trapezius, levator scapulae",
        "about": (
            "Hours at a screen or behind the wheel, stress and poor sleep all load the muscles "
            "between the neck and shoulder. Knots in the trapezius and levator scapulae make the "
            "neck stiff, can cause headaches and may send pain down the arm."
        ),
        "how_it_helps": (
            "Needling the trigger points in these muscles lets them lengthen again: turning your "
            "head gets easier, the ache eases and the headaches they cause often settle. Posture "
            "advice and simple exercises help keep them from coming back."
        ),
    },
    {
        "slug": "tight-hamstrings-and-calves",
        "name": "Tight hamstrings and calves",
        "summary": "For runners and athletes: looser muscles, better flexibility and a lower risk of injury.",
        "muscles": "hamstrings, gastrocnemius and soleus (calf)",
        "about": (
            "Runners, footballers, cricketers and anyone who trains hard know the feeling: "
            "hamstrings or calves that never quite loosen, however much you stretch. Tight muscles "
            "pull unevenly on joints and tendons and make strains and shin splints more likely."
        ),
        "how_it_helps": (
            "Releasing trigger points in the hamstrings and calves restores their length and lets "
            "them fire properly. Patients often feel freer to stride straight away, recover faster "
            "between sessions and get fewer strains."
        ),
    },
    {
        "slug": "plantar-fasciitis",
        "name": "Plantar fasciitis",
        "summary": "Heel and arch pain eased by treating the small muscles of the foot and the calf.",
        "muscles": "small muscles of the foot, calf muscles",
        "about": (
            "Plantar fasciitis is pain under the heel and along the arch, often worst with the "
            "first steps in the morning. Tight muscles in the foot and calf pull on the plantar "
            "fascia, the band of tissue under the foot."
        ),
        "how_it_helps": (
            "Your physiotherapist treats the small muscles of the foot, and the calf where it is "
            "involved, to take the strain off the fascia. Combined with stretching and advice on "
            "footwear, walking becomes comfortable again."
        ),
    },
    {
        "slug": "tmj",
        "name": "Jaw pain (TMJ)",
        "summary": "Jaw pain, clicking and clenching eased by releasing the chewing muscles.",
        "muscles": "masseter, temporalis and the other jaw muscles",
        "about": (
            "The temporomandibular joint (TMJ) hinges the jaw. Clenching, grinding and stress "
            "overwork the muscles that move it, causing jaw pain, clicking, headaches around the "
            "temples and trouble opening the mouth wide."
        ),
        "how_it_helps": (
            "Gentle needling of trigger points in the jaw muscles lets them relax. Patients "
            "describe less pain when chewing, fewer headaches and a calmer, looser jaw, and often "
            "better sleep."
        ),
    },
    {
        "slug": "chronic-back-pain",
        "name": "Chronic back pain",
        "summary": "Long-standing back pain where deep muscle tension limits movement.",
        "muscles": "erector spinae, quadratus lumborum, gluteal muscles",
        "about": (
            "Back pain that lasts for months is often kept going by muscles that have stayed "
            "tense to guard the spine. They ache, tire easily and make bending and lifting hard."
        ),
        "how_it_helps": (
            "Releasing the deep muscles of the lower back and hips reduces the tension that keeps "
            "the pain going and gives back movement. Chronic pain may need regular sessions, "
            "together with strengthening exercises."
        ),
    },
    {
        "slug": "tension-headaches-and-migraines",
        "name": "Tension headaches and migraines",
        "summary": "Headaches driven by knots in the neck, shoulder and jaw muscles.",
        "muscles": "upper trapezius, suboccipitals, temporalis",
        "about": (
            "Many headaches start in the muscles: trigger points at the base of the skull, in the "
            "upper shoulders or in the jaw send pain into the head and behind the eyes. Tension "
            "headaches and some migraines are made worse by them."
        ),
        "how_it_helps": (
            "Treating these trigger points can make headaches less frequent and less severe. Your "
            "physiotherapist will check for warning signs that need a doctor's opinion first."
        ),
    },
    {
        "slug": "myofascial-pain-syndrome",
        "name": "Myofascial pain syndrome",
        "summary": "Persistent pain from many trigger points, treated at its source in the muscle.",
        "muscles": "whichever muscles hold the trigger points, often neck, shoulders and back",
        "about": (
            "Myofascial pain syndrome is long-lasting pain caused by trigger points in one or "
            "several muscles. Pressing a knot hurts and often sends pain to another area, which "
            "makes the problem easy to misread."
        ),
        "how_it_helps": (
            "Dry needling treats the trigger points directly, which is what makes it one of the "
            "most direct treatments for this condition. Most patients need a course of sessions "
            "alongside physiotherapy."
        ),
    },
]

FAQS = [
    (
        "About the treatment",
        [
            (
                "What is dry needling?",
                "A physiotherapy treatment in which very fine, sterile needles are placed into "
                "trigger points (tight knots) in a muscle to release them, easing pain and "
                "stiffness and bringing back movement. It is also called trigger point dry "
                "needling or intramuscular stimulation (IMS).",
            ),
            (
                "How is it different from acupuncture?",
                "Acupuncture comes from traditional Chinese medicine and works with meridians and "
                "Qi. Dry needling is based on Western anatomy: it targets specific knots in "
                "specific muscles that your physiotherapist finds by examining you.",
            ),
            (
                "Who performs it?",
                "Our physiotherapists, who are trained and certified in dry needling. Please only "
                "have it done by a trained professional: untrained practitioners can cause injury.",
            ),
            (
                "Does it replace physiotherapy?",
                "No. It works alongside it. Dry needling releases the muscle; exercises, mobility "
                "work and hands-on physiotherapy keep it working well afterwards.",
            ),
        ],
    ),
    (
        "Your session",
        [
            (
                "Does it hurt?",
                "Most people feel a brief cramp, a twitch or a deep ache as a knot releases. It is "
                "short-lived and manageable, and your physiotherapist checks with you throughout.",
            ),
            (
                "What happens in a first session?",
                "Your physiotherapist asks about your pain and health, assesses how you move and "
                "which muscles are involved, and then treats the trigger points. Allow time for "
                "the assessment as well as the needling.",
            ),
            (
                "What should I do after a session?",
                "Drink plenty of water, keep moving with gentle stretches or a walk, and put heat "
                "on any sore area. Keep to the follow-up sessions your physiotherapist suggests.",
            ),
        ],
    ),
    (
        "Results and safety",
        [
            (
                "How soon will I feel results?",
                "Some people feel looser and less sore straight away; for others the improvement "
                "builds over a few sessions.",
            ),
            (
                "How many sessions will I need?",
                "Most patients need two to six. Long-standing pain may need more, at regular intervals.",
            ),
            (
                "Is it safe?",
                "Yes, when it is done by a trained, certified professional. Our needles are "
                "sterile and used only once.",
            ),
            (
                "What side effects are normal, and how long do they last?",
                "Mild bruising, soreness for 24 to 48 hours, and sometimes tiredness or a heavy "
                "feeling in the treated area. They usually pass within one or two days.",
            ),
            (
                "Can teenagers or older adults have dry needling?",
                "Yes. It suits most ages when it is done by a certified professional, who will "
                "take your age and health into account.",
            ),
        ],
    ),
    (
        "Booking",
        [
            (
                "How do I book a session?",
                "Choose a clinic and a time on our [booking page](/book/); no account is needed. "
                "You can also call or WhatsApp us on [0309-5885076](tel:+923095885076).",
            ),
        ],
    ),
]

TESTIMONIALS = [
    (
        "My sciatica had me limping for months. After three sessions it is under control and I "
        "can sit through a full working day again.",
        "Patient treated for sciatica",
        "sciatica",
    ),
    (
        "The tension in my neck and the pain in my jaw have gone. I feel far more relaxed and I "
        "am finally sleeping properly.",
        "Patient treated for neck and jaw pain",
        "tmj",
    ),
    (
        "Nothing I tried loosened my hamstrings until dry needling. I am running again without that constant pull.",
        "Runner treated for tight hamstrings",
        "tight-hamstrings-and-calves",
    ),
]


def add_content(apps, schema_editor):
    Page = apps.get_model("content", "Page")
    PageSection = apps.get_model("content", "PageSection")
    Condition = apps.get_model("content", "Condition")
    FAQCategory = apps.get_model("content", "FAQCategory")
    FAQ = apps.get_model("content", "FAQ")
    Testimonial = apps.get_model("content", "Testimonial")

    for spec in (HOME, DRY_NEEDLING):
        fields = {k: v for k, v in spec.items() if k not in {"key", "sections"}}
        page, created = Page.objects.get_or_create(key=spec["key"], defaults=fields)
        if created:
            PageSection.objects.bulk_create(
                PageSection(page=page, anchor=anchor, heading=heading, body=body, order=i)
                for i, (anchor, heading, body) in enumerate(spec["sections"], start=1)
            )

    conditions = {}
    for i, spec in enumerate(CONDITIONS, start=1):
        meta = f"{spec['summary']} Dry needling by Aspire physiotherapists in Karachi."
        defaults = {**spec, "order": i, "meta_description": meta}
        conditions[spec["slug"]], _ = Condition.objects.get_or_create(slug=spec["slug"], defaults=defaults)

    for i, (group_name, items) in enumerate(FAQS, start=1):
        group, _ = FAQCategory.objects.get_or_create(name=group_name, defaults={"order": i})
        for j, (question, answer) in enumerate(items, start=1):
            FAQ.objects.get_or_create(category=group, question=question, defaults={"answer": answer, "order": j})

    if not Testimonial.objects.exists():
        for i, (quote, attribution, slug) in enumerate(TESTIMONIALS, start=1):
            # Supplied by the clinic for publication on the site.
            Testimonial.objects.create(
                quote=quote, attribution=attribution, condition=conditions[slug], consent_to_publish=True, order=i
            )


class Migration(migrations.Migration):
    dependencies = [("content", "0001_initial")]

    operations = [migrations.RunPython(add_content, migrations.RunPython.noop)]
