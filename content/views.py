from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from aspire.page_cache import CONTENT, shared_page
from bookings.models import Clinic, SessionType
from bookings.pages.structured_data import KARACHI, PHYSIOTHERAPY, SCHEMA, organization_json_ld, organization_ref
from content import selectors
from content.markdown import render_markdown
from content.models import Condition, Page


@require_safe
@shared_page(CONTENT)
def home(request):
    page = selectors.page_get(key=Page.HOME)
    # The clinics the page and its footer list, fetched once here for the JSON-LD too (the
    # view's context stands in front of the `active_clinics` context processor's queryset).
    clinics = list(Clinic.objects.active())
    context = {
        "title": page.title,
        "description": page.meta_description,
        "page": page,
        "conditions": selectors.condition_cards(),
        "testimonials": selectors.testimonials_published(limit=3),
        "active_clinics": clinics,
        "json_ld": organization_json_ld(request, description=page.meta_description, clinics=clinics),
    }
    return render(request, "content/home.html", context)


@require_safe
@shared_page(CONTENT)
def dry_needling(request):
    page = selectors.page_get(key=Page.DRY_NEEDLING)
    session_types = list(SessionType.objects.active())
    context = {
        "title": page.title,
        "description": page.meta_description,
        "og_type": "article",
        "page": page,
        "json_ld": {
            "@context": SCHEMA,
            "@type": "MedicalWebPage",
            "name": page.title,
            "description": page.meta_description,
            "url": request.build_absolute_uri(),
            "about": {
                "@type": "MedicalTherapy",
                "name": "Dry needling",
                "alternateName": ["Trigger point dry needling", "Intramuscular stimulation (IMS)"],
                "relevantSpecialty": PHYSIOTHERAPY,
            },
            # A therapy takes no offers (schema.org's MedicalTherapy has no `offers`): the fees
            # are offers of the service the business provides.
            "mainEntity": {
                "@type": "Service",
                "name": "Dry needling",
                "serviceType": "Dry needling",
                "provider": organization_ref(request),
                "areaServed": KARACHI,
                "offers": [
                    {
                        "@type": "Offer",
                        "name": session_type.name,
                        "price": str(session_type.price_pkr),
                        "priceCurrency": "PKR",
                        "url": request.build_absolute_uri(reverse("bookings:book")),
                    }
                    for session_type in session_types
                ],
            },
        },
        "session_types": session_types,
    }
    return render(request, "content/dry_needling.html", context)


@require_safe
@shared_page(CONTENT)
def condition_list(request):
    context = {
        "title": _("Conditions treated with dry needling | Aspire Wellness"),
        "description": _(
            "Sciatica, neck and shoulder pain, tight hamstrings, plantar fasciitis, jaw pain (TMJ), back pain, "
            "headaches: the muscles involved and how dry needling helps."
        ),
        "conditions": selectors.condition_cards(),
    }
    return render(request, "content/condition_list.html", context)


@require_safe
@shared_page(CONTENT)
def condition_detail(request, slug):
    condition = get_object_or_404(Condition.objects.published(), slug=slug)
    context = {
        "title": _("%(condition)s: dry needling in Karachi | Aspire Wellness") % {"condition": condition.name},
        "description": condition.meta_description,
        "og_type": "article",
        "condition": condition,
        "testimonials": selectors.testimonials_published(condition=condition),
        "other_conditions": selectors.conditions_published().exclude(pk=condition.pk).only("name", "slug"),
        "json_ld": {
            "@context": SCHEMA,
            "@type": "MedicalWebPage",
            "name": condition.name,
            "description": condition.meta_description,
            "url": request.build_absolute_uri(),
            "about": {"@type": "MedicalCondition", "name": condition.name},
            "mainEntity": {
                "@type": "MedicalTherapy",
                "name": "Dry needling",
                "description": condition.summary,
            },
        },
    }
    return render(request, "content/condition_detail.html", context)


@require_safe
@shared_page(CONTENT)
def faq(request):
    groups = selectors.faq_groups()
    context = {
        "title": _("Dry needling questions and answers | Aspire Wellness"),
        "description": _(
            "Does dry needling hurt? How many sessions will I need? Is it safe? "
            "Answers to the questions patients ask us most."
        ),
        "groups": groups,
        "json_ld": {
            "@context": SCHEMA,
            "@type": "FAQPage",
            "mainEntity": [
                {
                    "@type": "Question",
                    "name": item.question,
                    "acceptedAnswer": {"@type": "Answer", "text": strip_tags(render_markdown(item.answer)).strip()},
                }
                for group in groups
                for item in group.published_faqs
            ],
        },
    }
    return render(request, "content/faq.html", context)
