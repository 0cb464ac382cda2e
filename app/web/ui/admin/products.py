"""Products: list (search, inactive ones too), create, edit, deactivate and reactivate."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, flash, redirect, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import DecimalField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp

from app.catalog.contract import ProductChanges, ProductDraft, ProductExists, ProductQuery
from app.kernel import InvalidInput
from app.web.ui.admin.kit import AdminKit
from app.web.ui.common import attach_error, page

PAGE_SIZE = 20
MAX_PRICE = Decimal("1000000")


class ProductForm(FlaskForm):
    sku = StringField("SKU", validators=[DataRequired("Enter a SKU"), Length(max=64)],
                      render_kw={"spellcheck": "false", "autocomplete": "off"})
    name = StringField("Name", validators=[DataRequired("Enter a name"),
                                           Length(1, 200, "Name must be 1 to 200 characters")])
    description = TextAreaField("Description", validators=[
        Length(max=5000, message="Description must be 5000 characters or fewer")])
    category = StringField("Category", validators=[
        DataRequired("Enter a category"),
        Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
               message="Category must be a slug: lowercase letters, digits and hyphens")])
    price = DecimalField("Price", places=2, validators=[
        InputRequired("Enter a price"),
        NumberRange(Decimal("0.01"), MAX_PRICE, "Price must be from 0.01 to 1000000")],
        render_kw={"inputmode": "decimal"})
    stock = IntegerField("Stock", validators=[
        InputRequired("Enter the stock"), NumberRange(0, 10_000_000, "Stock must be 0 or more")],
        render_kw={"inputmode": "numeric"})


def routes(bp: Blueprint, kit: AdminKit) -> None:
    _listing(bp, kit)
    _editing(bp, kit)
    _activation(bp, kit)


def _listing(bp: Blueprint, kit: AdminKit) -> None:
    catalog = kit.services.catalog
    assert catalog is not None

    @bp.get("/products")
    def products() -> Response:
        search = request.args.get("search", "")[:100]
        page_no = request.args.get("page", "1")
        number = int(page_no) if page_no.isdigit() and 0 < int(page_no) < 100_000 else 1
        query = ProductQuery(search=search or None, page=number, page_size=PAGE_SIZE)
        found = catalog.list_products(kit.principal(), query, include_inactive=True)
        return page("admin/products.html", products=found, search=search,
                    args={"search": search} if search else {}, **kit.context())


def _editing(bp: Blueprint, kit: AdminKit) -> None:
    catalog = kit.services.catalog
    assert catalog is not None

    @bp.route("/products/new", methods=["GET", "POST"])
    def product_new() -> Response:
        form = ProductForm()
        if form.validate_on_submit():
            try:
                product = catalog.create_product(kit.principal(), ProductDraft(
                    sku=form.sku.data, name=form.name.data, category=form.category.data,
                    price=form.price.data, stock=form.stock.data,
                    description=form.description.data or ""))
            except (InvalidInput, ProductExists) as error:
                attach_error(form, error, "sku" if isinstance(error, ProductExists) else None)
            else:
                flash(f"Created {product.name}.", "success")
                return redirect(url_for("admin.products", search=product.name), code=303)
        status = 400 if request.method == "POST" else 200
        return page("admin/product_form.html", status=status, form=form, product=None,
                    **kit.context())

    @bp.route("/products/<product_id>/edit", methods=["GET", "POST"])
    def product_edit(product_id: str) -> Response:
        product = catalog.get_product(kit.principal(), product_id, include_inactive=True)
        form = ProductForm(obj=product)
        if form.validate_on_submit():
            try:
                product = catalog.update_product(kit.principal(), product_id, ProductChanges(
                    sku=form.sku.data, name=form.name.data, category=form.category.data,
                    price=form.price.data, stock=form.stock.data,
                    description=form.description.data or ""))
            except (InvalidInput, ProductExists) as error:
                attach_error(form, error, "sku" if isinstance(error, ProductExists) else None)
            else:
                flash(f"Saved {product.name}.", "success")
                return redirect(url_for("admin.products", search=product.name), code=303)
        status = 400 if request.method == "POST" else 200
        return page("admin/product_form.html", status=status, form=form, product=product,
                    **kit.context())


def _activation(bp: Blueprint, kit: AdminKit) -> None:
    catalog = kit.services.catalog
    assert catalog is not None

    @bp.post("/products/<product_id>/deactivate")
    def product_deactivate(product_id: str) -> Response:
        catalog.deactivate_product(kit.principal(), product_id)
        flash("The product no longer lists or sells; old orders keep it.", "success")
        return redirect(url_for("admin.products"), code=303)

    @bp.post("/products/<product_id>/reactivate")
    def product_reactivate(product_id: str) -> Response:
        product = catalog.update_product(kit.principal(), product_id,
                                         ProductChanges(is_active=True))
        flash(f"{product.name} lists and sells again.", "success")
        return redirect(url_for("admin.products"), code=303)
