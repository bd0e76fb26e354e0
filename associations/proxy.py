"""``AssociationProxy``: read an attribute through a relation (SQLAlchemy's association proxy)."""

from __future__ import annotations

from orm.exceptions import ObjectDoesNotExist

__all__ = ["AssociationProxy"]


class AssociationProxy:
    """``Post.author_name = AssociationProxy("author", "name")`` -> ``post.author_name``.

    Through a single relation (foreign key, one-to-one) the value is the
    attribute of the related object, or ``None`` when there is none. Through a
    collection (reverse foreign key, many-to-many) it is a list with one value
    per related object, in the manager's order (prefetched caches are used).
    Assigning through a single relation sets the attribute on the related object.
    """

    def __init__(self, relation: str, attribute: str):
        self.relation = relation
        self.attribute = attribute
        self.name: str | None = None

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def contribute_to_class(self, cls, name: str) -> None:
        """Attached after class creation (``Post.author_name = AssociationProxy(...)``) or in the body."""
        self.name = name
        setattr(cls, name, self)

    def __repr__(self) -> str:
        return f"AssociationProxy({self.relation!r}, {self.attribute!r})"

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        try:
            target = getattr(instance, self.relation)
        except ObjectDoesNotExist:
            return None
        if target is None:
            return None
        if hasattr(target, "get_queryset") and hasattr(target, "model"):
            return [getattr(item, self.attribute) for item in target.all()]
        return getattr(target, self.attribute)

    def __set__(self, instance, value) -> None:
        try:
            target = getattr(instance, self.relation)
        except ObjectDoesNotExist:
            target = None
        if target is None:
            raise AttributeError(
                f"{type(instance).__name__}.{self.name}: cannot set {self.attribute!r} through "
                f"{self.relation!r}, which is empty"
            )
        if hasattr(target, "get_queryset") and hasattr(target, "model"):
            raise AttributeError(
                f"{type(instance).__name__}.{self.name} proxies a collection; change the related "
                f"objects through {self.relation!r} instead"
            )
        setattr(target, self.attribute, value)
