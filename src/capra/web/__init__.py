"""Capra on the web: accounts and roles, pages, forms, uploads, plans and a JSON API on the
records database. :func:`capra.web.app.create_app` builds the application; ``capra serve``
runs it. The web layer only translates: the records, accounts and plans are
:mod:`capra.store`'s."""
