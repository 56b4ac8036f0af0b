"""Rules for the product catalogue: what the market sells, in which unit, at what default price."""
from flask_babel import lazy_gettext as _l

from core import audit
from core.answers import Answer, Bool, Int, Str
from core.db import db
from core.models import CATEGORIES, UNITS, Product
from core.validation import Boolean, Choice, Integer, Money, Paging, Schema, Text, ValidationError

# The largest default price, in satang: ten million baht.
MAX_PRICE_SATANG = 1_000_000_000


class ProductInput(Schema):
    """A product of the catalogue; its default price in satang, or in baht as `default_price`."""

    name_th = Text(120, required=True)
    name_en = Text(120)
    unit = Choice(UNITS, required=True)
    category = Choice(CATEGORIES, required=True)
    is_certifiable = Boolean(description="Organic produce that a certificate covers; never a handicraft")
    making_certified = Boolean(description="Making it from other batches (bottling, packing) is a certified step")
    is_active = Boolean(description="On sale")
    default_price_satang = Integer(minimum=0, maximum=MAX_PRICE_SATANG, nullable=True,
                                   description="Price in satang (1/100 baht)")
    default_price = Money(nullable=True, description="The same price in baht, as the form sends it; "
                                                     "ignored when default_price_satang is given")


class ProductFilter(Paging):
    """What a list of products is narrowed to."""

    q = Text(120, description="Part of the Thai or English name")
    category = Choice(CATEGORIES)
    active = Boolean(description="Only products on sale")


def clean_product(data, partial=False):
    """Check product input; the price comes in baht and is kept as integer satang."""
    in_satang = "default_price_satang" in (data or {})
    form = ProductInput.form(data, partial=partial, omit=("default_price",) if in_satang else ("default_price_satang",))
    if not in_satang:
        if "default_price" in form.cleaned:
            form.cleaned["default_price_satang"] = form.cleaned.pop("default_price")
        elif "default_price" in form.errors:
            form.errors["default_price_satang"] = form.errors["default_price"]
    cleaned = form.finish()
    if cleaned.get("category") == "handicraft" and cleaned.get("is_certifiable"):
        raise ValidationError({"is_certifiable": _l("Handicrafts cannot be certified organic.")})
    return cleaned


def _check_name_free(name_th, product_id=None):
    query = Product.select().where(Product.name_th == name_th)
    if product_id is not None:
        query = query.where(Product.id != product_id)
    if query.exists():
        raise ValidationError({"name_th": _l("A product with this name already exists.")})


def create_product(data, by_user):
    """Add a product to the catalogue; active unless said otherwise."""
    cleaned = clean_product(data)
    if "is_active" not in (data or {}):
        cleaned["is_active"] = True
    if "is_certifiable" not in (data or {}):
        cleaned["is_certifiable"] = cleaned["category"] != "handicraft"  # produce is certifiable unless said otherwise
    with db.atomic():
        _check_name_free(cleaned["name_th"])
        product = Product.create(**cleaned)
        audit.record(by_user, "create", "product", product.id, {
            field: (None, value) for field, value in cleaned.items() if value not in (None, "")})
    return product


def update_product(product, data, by_user, partial=False):
    """Change a product; only real changes are logged."""
    cleaned = clean_product(data, partial=partial)
    category = cleaned.get("category", product.category)
    if category == "handicraft" and cleaned.get("is_certifiable", product.is_certifiable):
        raise ValidationError({"is_certifiable": _l("Handicrafts cannot be certified organic.")})
    with db.atomic():
        if "name_th" in cleaned:
            _check_name_free(cleaned["name_th"], product.id)
        audit.save_with_audit(by_user, product, "product", cleaned)
    return product


def search_products(query="", category=None, active_only=False):
    """Products whose Thai or English name contains `query`, Thai name order."""
    products = Product.select().order_by(Product.category, Product.name_th)
    if query:
        pattern = f"%{query.strip()}%"
        products = products.where(Product.name_th.ilike(pattern) | Product.name_en.ilike(pattern))
    if category:
        products = products.where(Product.category == category)
    if active_only:
        products = products.where(Product.is_active == True)  # noqa: E712
    return products


class ProductAnswer(Answer):
    """A product as the API answers it: its default price in satang."""

    schema_name = "Product"
    id = Int()
    name_th = Str()
    name_en = Str()
    unit = Str(choices=tuple(UNITS))
    category = Str(choices=tuple(CATEGORIES))
    is_certifiable = Bool(description="Organic produce that a certificate covers; never a handicraft")
    making_certified = Bool(description="Making it from other batches (bottling, packing) is a certified step")
    default_price_satang = Int(nullable=True, description="Price in satang (1/100 baht)")
    is_active = Bool(description="On sale")

