"""Many-to-many through a model with a required column (H3, session 14)."""

from __future__ import annotations

import pytest

import orm


class QStudent(orm.Model):
    name = orm.CharField(max_length=30)

    class Meta:
        app_label = "assoc_s14q"


class QCourse(orm.Model):
    name = orm.CharField(max_length=30)
    students = orm.ManyToManyField(QStudent, through="QEnrolment", related_name="courses")

    class Meta:
        app_label = "assoc_s14q"


class QEnrolment(orm.Model):
    course = orm.ForeignKey(QCourse, on_delete=orm.CASCADE)
    student = orm.ForeignKey(QStudent, on_delete=orm.CASCADE)
    grade = orm.IntegerField()

    class Meta:
        app_label = "assoc_s14q"
        unique_together = [("course", "student")]


@pytest.fixture
def school(setup_models):
    setup_models(QStudent, QCourse, QEnrolment)


def test_add_without_the_required_value_fails_on_every_backend(school):
    course = QCourse.objects.create(name="c")
    ann = QStudent.objects.create(name="ann")
    with pytest.raises(orm.IntegrityError):
        course.students.add(ann)
    assert QEnrolment.objects.count() == 0
    course.students.add(ann, through_defaults={"grade": 3})
    course.students.add(ann, through_defaults={"grade": 5})
    assert list(QEnrolment.objects.values_list("grade", flat=True)) == [3]
