"""Connect: the supplier memory of a firm. When an accountant corrects a fact in the review
queue, where that fact stood on the supplier's invoice is remembered for the firm, and read
first on the supplier's next invoice (docs/recognition-memory.md)."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from connect.recognition.memory import BELOW, PAGE, RIGHT, Placement, confidence


class SupplierMemory(models.Model):
    """One supplier of one firm, known by its VAT number, else its IBAN, else its name
    (``key``: ``vat:BE0123456749``, ``iban:BE68…``, ``name:garage martin``)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    firm = models.ForeignKey(
        "dossiers.Firm", on_delete=models.PROTECT, related_name="supplier_memories"
    )
    key = models.CharField(max_length=250)
    name = models.CharField(_("supplier"), max_length=200, blank=True)
    vat = models.CharField(_("VAT number"), max_length=20, blank=True)
    iban = models.CharField(_("IBAN"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("supplier memory")
        verbose_name_plural = _("supplier memories")
        ordering = ("name", "id")
        constraints = [
            models.UniqueConstraint(fields=("firm", "key"), name="supplier_memory_unique_key"),
        ]
        indexes = [
            # A supplier remembered by its VAT number is found again by its IBAN too.
            models.Index(
                fields=("firm", "iban"), name="supplier_memory_iban", condition=~Q(iban="")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.firm_id} {self.key}"


class Relation(models.TextChoices):
    RIGHT = RIGHT, _("to the right of the label")
    BELOW = BELOW, _("below the label")
    PAGE = PAGE, _("at its place on the page")


class RememberedFact(models.Model):
    """Where one fact of a supplier stood (``memory.Placement``), and how it fared since:
    ``taught`` times learned from a correction, ``used`` times read on a new invoice, of which
    ``held`` were confirmed in review and ``missed`` were corrected again."""

    memory = models.ForeignKey(SupplierMemory, on_delete=models.CASCADE, related_name="facts")
    fact = models.CharField(max_length=30)
    label = models.CharField(_("label"), max_length=200, blank=True)
    relation = models.CharField(_("position"), max_length=10, choices=Relation.choices)
    page = models.SmallIntegerField(default=0)
    label_x = models.FloatField(default=0)
    label_top = models.FloatField(default=0)
    dx0 = models.FloatField()
    dx1 = models.FloatField()
    dy = models.FloatField()
    span = models.PositiveSmallIntegerField(default=1)
    taught = models.PositiveIntegerField(default=1)
    used = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(default=0)
    missed = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("remembered fact")
        verbose_name_plural = _("remembered facts")
        ordering = ("memory", "fact")
        constraints = [
            models.UniqueConstraint(fields=("memory", "fact"), name="remembered_fact_unique"),
            models.CheckConstraint(
                condition=Q(relation__in=Relation.values), name="remembered_fact_relation_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.memory_id} {self.fact}"

    @property
    def confidence(self) -> float:
        """The lessons and confirmations are hits, the corrections misses
        (``memory.confidence``)."""
        return confidence(hits=self.taught + self.held, misses=self.missed)

    def placement(self) -> Placement:
        return Placement(
            fact=self.fact,
            label=self.label,
            relation=self.relation,
            page=self.page,
            label_x=self.label_x,
            label_top=self.label_top,
            dx0=self.dx0,
            dx1=self.dx1,
            dy=self.dy,
            span=self.span,
            confidence=self.confidence,
        )

    def place(self, placement: Placement) -> None:
        """Take ``placement``'s place (not yet saved)."""
        for name in ("label", "relation", "page", "label_x", "label_top", "dx0", "dx1", "dy"):
            setattr(self, name, getattr(placement, name))
        self.span = placement.span
