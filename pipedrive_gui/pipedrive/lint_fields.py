"""The field catalog as the linter's plain data (``core.lint.FieldFacts``): core never imports
``pipedrive/``, so this adapter lives here."""

from __future__ import annotations

from pipedrive_gui.core.lint import FieldFact, FieldFacts
from pipedrive_gui.pipedrive.fields import FieldCatalog


def field_facts(catalog: FieldCatalog, source: str = "") -> FieldFacts:
    """Every field of every entity the catalog could fetch (entities it could not are left out, so
    rules do not call their fields unknown)."""
    facts = [
        FieldFact(
            entity=f.entity,
            key=f.key,
            label=f.label,
            field_type=f.field_type,
            options=tuple((o.id, o.label) for o in f.options),
            is_custom=f.is_custom,
            searchable=f.searchable,
            not_searchable_reason=f.not_searchable_reason,
        )
        for entity, fields in catalog.fields_by_entity.items()
        if entity not in catalog.problems
        for f in fields
    ]
    entities = [e for e in catalog.fields_by_entity if e not in catalog.problems]
    return FieldFacts.from_facts(facts, entities=entities, source=source or catalog.domain)


__all__ = ["field_facts"]
