"""The checked-in catalogue: blueprints by SKU, recipes by ID, loaded once per stage."""

from __future__ import annotations

from dataclasses import dataclass

from toyfoundry_ci.base.errors import ArtifactError
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.foundry.artifacts import load
from toyfoundry_ci.models.catalogue import Blueprint, Recipe


@dataclass(frozen=True)
class Catalogue:
    blueprints: dict[str, Blueprint]
    recipes: dict[str, Recipe]

    def recipe_for(self, sku: str) -> Recipe | None:
        """The recipe that builds ``sku``, or None when the SKU is not in the catalogue."""
        blueprint = self.blueprints.get(sku)
        return None if blueprint is None else self.recipes[blueprint.recipe]


def load_catalogue(layout: Layout) -> Catalogue:
    """Every blueprint and recipe; a blueprint naming a missing recipe is an error."""
    blueprints: dict[str, Blueprint] = {}
    recipes: dict[str, Recipe] = {}
    for path in sorted(layout.recipes.glob("*.json")):
        recipe = load(layout, path, Recipe, "recipe")
        recipes[recipe.recipe_id] = recipe
    for path in sorted(layout.blueprints.glob("*.json")):
        blueprint = load(layout, path, Blueprint, "blueprint")
        if blueprint.recipe not in recipes:
            raise ArtifactError(
                f"{layout.rel(path)}::$.recipe: no recipe {blueprint.recipe!r} in"
                f" {layout.rel(layout.recipes)}/",
                hint="add the recipe or name an existing one",
            )
        blueprints[blueprint.sku] = blueprint
    return Catalogue(blueprints, recipes)
