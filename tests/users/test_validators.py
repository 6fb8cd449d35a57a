import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import translation


@pytest.mark.parametrize(
    "password",
    ["Correct-Horse-42", "correct horse 42!", "CORRECTHORSE42x", "Zeer-lang-wachtwoord"],
)
def test_passwords_of_twelve_characters_and_three_classes_are_accepted(password: str) -> None:
    validate_password(password)


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Short-1a", "password_too_short"),
        ("alllowercaseletters", "password_too_simple"),
        ("lowercase-and-dashes", "password_too_simple"),
        ("ONLYUPPER123456", "password_too_simple"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, code: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_password(password)
    assert code in {error.code for error in excinfo.value.error_list}


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fr", "au moins 3"), ("nl", "minstens 3"), ("de", "mindestens 3"), ("en", "at least 3")],
)
def test_the_character_class_message_is_translated(language: str, expected: str) -> None:
    with translation.override(language), pytest.raises(ValidationError) as excinfo:
        validate_password("alllowercaseletters")
    assert any(expected in message for message in excinfo.value.messages)
