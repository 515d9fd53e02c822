"""Every GraphQL query the DS connector sends, and nothing else: `tests/unit/test_ds_queries.py` validates
each against DS's published schema, so the connector cannot drift from the real API.

Typed values of champs share the name `value` on DS with different types (Boolean!, BigInt, String):
each gets its own alias, as GraphQL requires of fields merged from fragments."""

from __future__ import annotations

CHAMP_VALUES = """
fragment ChampValue on Champ {
  __typename
  id
  label
  stringValue
  ... on CheckboxChamp { checked: value }
  ... on YesNoChamp { yes: value }
  ... on IntegerNumberChamp { integer: value }
  ... on DecimalNumberChamp { decimal: value }
  ... on DateChamp { date }
  ... on MultipleDropDownListChamp { values }
  ... on DepartementChamp { departement { code } }
}
"""

DOSSIERS = (
    """
query ImportDossiers($demarche: Int!, $first: Int!, $after: String, $updatedSince: ISO8601DateTime) {
  demarche(number: $demarche) {
    number
    dossiers(first: $first, after: $after, updatedSince: $updatedSince) {
      pageInfo { hasNextPage endCursor }
      nodes {
        number
        state
        dateDepot
        dateDerniereModification
        demandeur {
          __typename
          ... on PersonneMorale {
            siret
            entreprise { raisonSociale }
            association { titre }
          }
        }
        champs { ...ChampValue }
      }
    }
  }
}
"""
    + CHAMP_VALUES
)

DELETED = """
query ImportDeletedDossiers($demarche: Int!, $first: Int!, $after: String, $deletedSince: ISO8601DateTime) {
  demarche(number: $demarche) {
    number
    deletedDossiers(first: $first, after: $after, deletedSince: $deletedSince) {
      pageInfo { hasNextPage endCursor }
      nodes { number reason dateSupression }
    }
  }
}
"""

DESCRIPTORS = """
query ImportDescriptors($demarche: Int!) {
  demarche(number: $demarche) {
    number
    title
    activeRevision {
      champDescriptors { __typename id label }
    }
  }
}
"""

QUERIES: tuple[str, ...] = (DOSSIERS, DELETED, DESCRIPTORS)
