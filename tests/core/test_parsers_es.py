"""Spanish (and mixed) answers to the intake's questions: the same canonical values as in English.

Written as tables, one row per reply, the way callers in Arizona type them: without
accents, with texting spellings and Mexican or Central American words. The English
cases stay in test_intake.py and test_non_answers.py; the few rows here that are
English make sure a Spanish word did not change them.
"""
from __future__ import annotations

import pytest

from helpline.intake import parsers
from helpline.intake.non_answers import (
    asks_for_a_person,
    bare_yes_or_no,
    is_question,
    is_stalling,
    only_asks,
    starts_like_question,
    wants_to_stop,
)
from helpline.intake.parsers import (
    PREFER_NOT_TO_SAY,
    SKIPPED,
    means_this_number,
    parse_best_time,
    parse_callback_phone,
    parse_caller_relation,
    parse_consent,
    parse_contact_permissions,
    parse_first_name,
    parse_insurance,
    parse_insurance_member_id,
    parse_last_use,
    parse_prior_treatment,
    parse_state,
    parse_substances,
    parse_suicide_screen,
    parse_who_for,
    parse_withdrawal_signs,
    parse_yes_no,
)
from helpline.intake.policy import Message, answer_in, check, other_answer
from helpline.intake.questions import PARSERS


def value(result):
    assert result.ok, f"expected a value, got reason {result.reason!r}"
    return result.value


# -- yes / no --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("sí", True), ("si", True), ("Sí.", True), ("siii", True), ("sip", True), ("simón", True), ("simon", True),
    ("claro", True), ("claro que sí", True), ("dale", True), ("ok", True), ("okey", True), ("sale", True),
    ("órale", True), ("ándale pues", True), ("de acuerdo", True), ("está bien", True), ("esta bien", True),
    ("por supuesto", True), ("sí, por favor", True), ("va", True), ("no hay problema", True),
    ("no hay bronca", True), ("cómo no", True), ("sí, gracias", True), ("bueno", True), ("con gusto", True),
    ("no", False), ("nel", False), ("nop", False), ("para nada", False), ("no gracias", False),
    ("No, gracias.", False), ("mejor no", False), ("prefiero que no", False), ("nooo", False),
    ("no, por favor", False), ("no está bien", False),
])
def test_yes_no_in_spanish(text, expected):
    assert value(parse_yes_no(text)) is expected


@pytest.mark.parametrize("text", [
    "no sé", "nose", "ni idea", "tal vez", "quizás", "a lo mejor", "no estoy segura", "¿sí?", "sí y no",
    "creo que sí", "no, está bien",  # "no, that's fine" declines or agrees: ask again
])
def test_yes_no_in_spanish_unclear(text):
    assert parse_yes_no(text).reason == "unclear"


@pytest.mark.parametrize("text, expected", [
    ("sí, acepto", True), ("sí, de acuerdo", True), ("no, gracias", False), ("mejor no", False),
])
def test_consent_in_spanish(text, expected):
    assert value(parse_consent(text)) is expected


# -- who it is for, and the caller's relation -------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("para mí", "self"), ("para mi", "self"), ("yo", "self"), ("soy yo", "self"), ("es para mí", "self"),
    ("yo mismo", "self"), ("necesito ayuda con la bebida", "self"),
    ("mi hijo", "loved_one"), ("para mi hija", "loved_one"), ("mi esposo", "loved_one"), ("mi esposa", "loved_one"),
    ("mi pareja", "loved_one"), ("mi novio", "loved_one"), ("mi novia", "loved_one"), ("mi mamá", "loved_one"),
    ("mi jefa", "loved_one"), ("mi papá", "loved_one"), ("mi hermano", "loved_one"), ("mi hermana", "loved_one"),
    ("mi primo", "loved_one"), ("un amigo", "loved_one"), ("mi tío", "loved_one"), ("mi nieto", "loved_one"),
    ("mijo", "loved_one"), ("otra persona", "loved_one"), ("un familiar", "loved_one"), ("para ella", "loved_one"),
    ("my son, tiene 19", "loved_one"), ("es para mi hijo, tiene 19 años", "loved_one"),
    ("él toma mucho", "loved_one"),
])
def test_who_for_in_spanish(text, expected):
    assert value(parse_who_for(text)) == expected


def test_who_for_naming_both_in_spanish_is_unclear():
    assert parse_who_for("para mí y mi esposo").reason == "unclear"


@pytest.mark.parametrize("text, expected", [
    ("mi hijo", "parent"), ("mi hija", "parent"), ("mijo", "parent"), ("mis hijos", "parent"),
    ("mi hijo mayor", "parent"), ("mi mamá", "child"), ("mi papá", "child"), ("mi jefa", "child"),
    ("soy su mamá", "parent"), ("soy su hija", "child"), ("mi esposo", "partner"), ("mi esposa", "partner"),
    ("mi pareja", "partner"), ("mi novio", "partner"), ("mi novia", "partner"), ("mi señora", "partner"),
    ("mi hermano", "sibling"), ("mi hermanita", "sibling"), ("mi carnal", "sibling"), ("mi mejor amiga", "friend"),
    ("un amigo", "friend"), ("mi vecino", "friend"), ("mi primo", "other"), ("mi tío", "other"),
    ("mi nieto", "other"), ("mi abuela", "other"), ("mi cuñado", "other"),
])
def test_caller_relation_in_spanish(text, expected):
    assert value(parse_caller_relation(text)) == expected


# -- first name -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("me llamo Rosa", "Rosa"), ("Me llamo rosa", "Rosa"), ("soy Juan", "Juan"),
    ("mi nombre es María José", "María José"), ("dígame Lupe", "Lupe"), ("Hola, me llamo Guadalupe", "Guadalupe"),
    ("Rosa, soy su mamá", "Rosa"), ("me llamo Rosa y soy su mamá", "Rosa"), ("maría de la luz", "María de la Luz"),
    ("José de Jesús", "José de Jesús"), ("Ramón, gracias", "Ramón"), ("ÁNGEL", "Ángel"), ("me dicen Chuy", "Chuy"),
])
def test_first_name_in_spanish_keeps_the_accents(text, expected):
    assert value(parse_first_name(text)) == expected


@pytest.mark.parametrize("text", ["prefiero no decir", "prefiero no decirlo", "anónimo", "no gracias", "paso"])
def test_first_name_declined_in_spanish(text):
    assert value(parse_first_name(text)) == PREFER_NOT_TO_SAY


@pytest.mark.parametrize("text", ["soy su mamá", "soy de Phoenix", "sí", "para mi hijo", "no sé"])
def test_not_a_name_in_spanish(text):
    assert not parse_first_name(text).ok


# -- phone -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "seis cero dos cinco cinco cinco cero uno cero siete", "602 555 0107", "mi cel es 602-555-0107",
    "mi celular es el seis cero dos, cinco cinco cinco, cero uno cero siete",
    "seiscientos dos, quinientos cincuenta y cinco, cero ciento siete", "seis cero dos triple cinco cero uno cero siete",
    "(602) 555-0107 es mi número", "six zero two five five five zero one zero seven",
])
def test_phone_typed_or_said_in_spanish(text):
    assert value(parse_callback_phone(text)) == "+16025550107"


@pytest.mark.parametrize("text", [
    "este mismo número", "a este numero", "sí, a este número por favor", "al mismo", "el mismo de donde le escribo",
    "el número desde el que les mando mensajes",
])
def test_this_same_number_is_flagged_not_parsed(text):
    # Only the SMS channel knows the number written from; the form asks for the digits.
    assert means_this_number(text)
    assert parse_callback_phone(text).reason == "bad_phone"


@pytest.mark.parametrize("text", ["no este no", "mi número es otro", "602 555 0107"])
def test_not_this_same_number(text):
    assert not means_this_number(text)


# -- best time -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("en la mañana", "morning"), ("por la mañana", "morning"), ("mañana", "morning"), ("temprano", "morning"),
    ("en las mañanas", "morning"), ("mañana temprano", "morning"), ("mañana en la mañana", "morning"),
    ("en la tarde", "afternoon"), ("tarde", "afternoon"), ("por las tardes", "afternoon"),
    ("mañana en la tarde", "afternoon"), ("al mediodía", "afternoon"),
    ("en la noche", "evening"), ("noche", "evening"), ("después de las 5", "evening"),
    ("después de las 6", "evening"), ("después del trabajo", "evening"), ("mañana en la noche", "evening"),
    ("antes de las 10", "morning"), ("a las 3", "afternoon"), ("a las tres de la tarde", "afternoon"),
    ("a las 8 de la noche", "evening"), ("a las 10 de la mañana", "morning"), ("como a las 7", "evening"),
    ("a cualquier hora", "anytime"), ("cuando sea", "anytime"), ("cuando quieran", "anytime"),
    ("ya", "asap"), ("ahorita", "asap"), ("lo antes posible", "asap"), ("cuanto antes", "asap"),
    ("urgente", "asap"), ("lo más pronto posible por favor", "asap"), ("hoy", "asap"),
    ("buenas tardes, en la mañana por favor", "morning"), ("ahorita no, mejor en la noche", "evening"),
])
def test_best_time_in_spanish(text, expected):
    assert value(parse_best_time(text)) == expected


@pytest.mark.parametrize("text", ["llámeme mañana", "más tarde", "no sé"])
def test_best_time_in_spanish_without_a_time_of_day_is_asked_again(text):
    # "mañana" after a verb is tomorrow, as the English "tomorrow": no time of day given.
    assert parse_best_time(text).reason == "unrecognized"


# -- substances --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("alcohol", ["alcohol"]), ("alcol", ["alcohol"]), ("el chupe", ["alcohol"]), ("cheve", ["alcohol"]),
    ("pisto", ["alcohol"]), ("tragos", ["alcohol"]), ("toma mucho", ["alcohol"]), ("le gusta tomar", ["alcohol"]),
    ("bebe todos los días", ["alcohol"]), ("cerveza y tequila", ["alcohol"]),
    ("heroína", ["opioids"]), ("chiva", ["opioids"]), ("la negra", ["opioids"]), ("fentanilo", ["opioids"]),
    ("fenta", ["opioids"]), ("fentanyl", ["opioids"]), ("pastillas azules", ["opioids"]), ("M30s", ["opioids"]),
    ("percocet", ["opioids"]), ("perkys", ["opioids"]), ("oxi", ["opioids"]), ("oxicodona", ["opioids"]),
    ("morfina", ["opioids"]), ("metadona", ["opioids"]),
    ("cristal", ["stimulants"]), ("foco", ["stimulants"]), ("hielo", ["stimulants"]), ("meth", ["stimulants"]),
    ("metanfetamina", ["stimulants"]), ("cocaína", ["stimulants"]), ("coca", ["stimulants"]),
    ("perico", ["stimulants"]), ("polvo", ["stimulants"]), ("piedra", ["stimulants"]), ("crack", ["stimulants"]),
    ("clonazepam", ["benzodiazepines"]), ("clonas", ["benzodiazepines"]), ("rivotril", ["benzodiazepines"]),
    ("xanax", ["benzodiazepines"]), ("alprazolam", ["benzodiazepines"]), ("diazepam", ["benzodiazepines"]),
    ("valium", ["benzodiazepines"]), ("benzos", ["benzodiazepines"]),
    ("mota", ["cannabis"]), ("marihuana", ["cannabis"]), ("hierba", ["cannabis"]), ("yerba", ["cannabis"]),
    ("weed", ["cannabis"]), ("porro", ["cannabis"]), ("vape de THC", ["cannabis"]),
    ("tachas", ["other"]), ("hongos", ["other"]), ("otra cosa", ["other"]),
    ("toma pastillas azules", ["opioids"]),  # "toma" takes a pill here: not drink
    ("toma clonas", ["benzodiazepines"]),
    ("no toma, pero fuma mota", ["cannabis"]), ("ya no toma pero le mete al cristal", ["stimulants"]),
    ("cheves y mota", ["alcohol", "cannabis"]), ("fenta y cristal", ["opioids", "stimulants"]),
    ("alcohol and some perico", ["alcohol", "stimulants"]), ("ninguna", []), ("nada", []), ("no, nada", []),
    ("no se droga", []),
])
def test_substances_in_spanish(text, expected):
    assert value(parse_substances(text)) == expected


# -- last use ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("hoy", "today"), ("hace rato", "today"), ("hace un rato", "today"), ("esta mañana", "today"),
    ("ahorita está tomando", "today"), ("hace 2 horas", "today"), ("todos los días", "today"), ("diario", "today"),
    ("ayer", "yesterday"), ("anoche", "yesterday"), ("ayer en la noche", "yesterday"),
    ("antier", "this week"), ("anteayer", "this week"), ("esta semana", "this week"), ("hace 3 días", "this week"),
    ("hace tres días", "this week"), ("hace una semana", "this week"), ("el fin de semana", "this week"),
    ("el sábado", "this week"), ("lleva 2 días sin usar", "this week"), ("tiene 4 días sin tomar", "this week"),
    ("este mes", "this month"), ("la semana pasada", "this month"), ("hace 2 semanas", "this month"),
    ("hace un mes", "this month"),
    ("hace meses", "longer"), ("hace años", "longer"), ("hace mucho", "longer"), ("hace 3 meses", "longer"),
    ("hace más de un mes", "longer"), ("lleva 6 meses limpio", "longer"), ("hace 2 años que no toma", "longer"),
])
def test_last_use_in_spanish(text, expected):
    assert value(parse_last_use(text)) == expected


@pytest.mark.parametrize("text", ["toma desde hace 3 años", "lleva años tomando", "ha estado usando por meses"])
def test_last_use_duration_in_spanish_is_asked_again(text):
    # How long the use has gone on is not when it last happened.
    assert parse_last_use(text).reason == "duration"


# -- withdrawal signs -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("temblores", ["shaking"]), ("tiembla mucho", ["shaking"]), ("le tiemblan las manos", ["shaking"]),
    ("convulsiones", ["seizures"]), ("le dan ataques", ["seizures"]), ("alucinaciones", ["hallucinations"]),
    ("ve cosas", ["hallucinations"]), ("oye voces", ["hallucinations"]), ("vómito", ["severe_vomiting"]),
    ("vomita mucho", ["severe_vomiting"]), ("sudores", ["other"]), ("ansiedad y no puede dormir", ["other"]),
    ("temblores y sudores", ["shaking", "other"]), ("ataques de pánico", ["other"]),
    ("no tiene temblores pero ve cosas", ["hallucinations"]),
    ("ninguno", []), ("nada de eso", []), ("no", []), ("nel", []), ("no tiene temblores", []),
    ("ni convulsiones ni vómito", []), ("no, nada", []), ("sin síntomas", []),
])
def test_withdrawal_signs_in_spanish(text, expected):
    assert value(parse_withdrawal_signs(text)) == expected


@pytest.mark.parametrize("slot", ["substances", "last_use", "withdrawal_signs", "prior_treatment"])
@pytest.mark.parametrize("text", ["no sé", "nose", "ni idea", "no tengo idea", "quién sabe", "no estoy segura"])
def test_dont_know_in_spanish_is_never_none(slot, text):
    # Above all for withdrawal signs: "no sé" must never be read as "no signs".
    result = PARSERS[slot](text)
    assert result.value is None and result.reason == "dont_know"


# -- suicide-risk screen ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("sí", "yes"), ("si", "yes"), ("a veces", "yes"), ("pues sí, a veces lo he pensado", "yes"),
    ("de vez en cuando", "yes"), ("un poco", "yes"), ("sí lo he pensado", "yes"), ("ya no quiero vivir", "yes"),
    ("no, nunca", "no"), ("no", "no"), ("nunca", "no"), ("para nada", "no"), ("no lo he pensado", "no"),
    ("nel", "no"), ("creo que no", "no"),
    ("prefiero no contestar", "declined"), ("no quiero hablar de eso", "declined"), ("paso", "declined"),
])
def test_suicide_screen_in_spanish(text, expected):
    assert value(parse_suicide_screen(text)) == expected


@pytest.mark.parametrize("text", ["ya no", "antes sí", "tal vez", "no sé", "¿por qué pregunta?", "hace años"])
def test_suicide_screen_in_spanish_unclear(text):
    result = parse_suicide_screen(text)
    assert result.value is None and result.reason == "unclear"


# -- prior treatment ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("desintoxicación", ["detox"]), ("detox", ["detox"]), ("estuvo internado", ["inpatient"]),
    ("en un anexo", ["inpatient"]), ("centro de rehabilitación", ["inpatient"]), ("rehab", ["inpatient"]),
    ("tratamiento ambulatorio", ["outpatient"]), ("consejería", ["outpatient"]), ("terapia", ["outpatient"]),
    ("suboxone", ["mat"]), ("metadona", ["mat"]), ("clínica de metadona", ["mat"]), ("naltrexona", ["mat"]),
    ("vivitrol", ["mat"]), ("AA", ["other"]), ("NA", ["other"]), ("grupos de 12 pasos", ["other"]),
    ("va a juntas de alcohólicos anónimos", ["other"]), ("anexo y luego terapia", ["inpatient", "outpatient"]),
    ("nunca", []), ("ninguno", []), ("nunca ha estado en tratamiento", []), ("nunca ha estado en un anexo", []),
    ("es la primera vez", []),
])
def test_prior_treatment_in_spanish(text, expected):
    assert value(parse_prior_treatment(text)) == expected


# -- insurance ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("AHCCCS", "Medicaid"), ("el ahccs", "Medicaid"), ("el access", "Medicaid"), ("tengo el access", "Medicaid"),
    ("Medicaid", "Medicaid"), ("medicaid del estado", "Medicaid"), ("el seguro del estado", "Medicaid"),
    ("Medicare", "Medicare"), ("Cruz Azul", "Blue Cross Blue Shield"),
    ("no tengo seguro", "none"), ("no tengo aseguranza", "none"), ("no tiene seguro", "none"), ("ninguno", "none"),
    ("sin seguro", "none"), ("no", "none"), ("se le venció el seguro", "none"),
    ("voy a pagar yo", "self-pay"), ("pago de mi bolsa", "self-pay"), ("en efectivo", "self-pay"),
    ("no sé cuál", "unknown"), ("no estoy seguro", "unknown"), ("no sé", "unknown"),
])
def test_insurance_in_spanish(text, expected):
    assert value(parse_insurance(text)) == expected


@pytest.mark.parametrize("text, expected", [
    ("tengo Mercy Care", "other: Mercy Care"), ("Mercy Care", "other: Mercy Care"), ("Banner", "other: Banner"),
    ("seguro del trabajo", "other: seguro del trabajo"),
])
def test_insurance_in_spanish_other_keeps_the_name(text, expected):
    assert value(parse_insurance(text)) == expected


@pytest.mark.parametrize("text", ["sí", "sí tengo", "sí tengo seguro", "tengo aseguranza"])
def test_insurance_in_spanish_without_a_name_is_asked_again(text):
    assert parse_insurance(text).reason == "unrecognized"


@pytest.mark.parametrize("text, expected", [
    ("mi número de miembro es W123456789", "W123456789"), ("es el A12345678", "A12345678"),
])
def test_member_id_in_spanish(text, expected):
    assert value(parse_insurance_member_id(text)) == expected


@pytest.mark.parametrize("text", ["no lo tengo", "no traigo la tarjeta", "después", "paso", "no sé"])
def test_member_id_skipped_in_spanish(text):
    assert parse_insurance_member_id(text).reason == "skipped"


# -- state ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Arizona", "AZ"), ("arisona", "AZ"), ("Nuevo México", "NM"), ("nuevo mexico", "NM"), ("California", "CA"),
    ("Texas", "TX"), ("Tejas", "TX"), ("Nevada", "NV"), ("Utah", "UT"), ("Colorado", "CO"), ("Nueva York", "NY"),
    ("Carolina del Norte", "NC"), ("aquí en Phoenix", "AZ"), ("vivo en Tucson", "AZ"), ("en Mesa", "AZ"),
    ("Yuma", "AZ"), ("vivimos en Avondale", "AZ"),
])
def test_state_in_spanish(text, expected):
    assert value(parse_state(text)) == expected


@pytest.mark.parametrize("text", ["Sonora", "Chihuahua", "México", "Baja California", "San Luis Río Colorado"])
def test_mexican_states_are_not_us_states(text):
    assert parse_state(text).reason == "unrecognized"


# -- contact permissions -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("sí pueden dejar mensaje", {"voicemail": True}),
    ("solo textos", {"call": None, "voicemail": False, "text": True}),
    ("nomás mensajes de texto", {"voicemail": False, "text": True}),
    ("no dejen mensaje de voz", {"call": None, "voicemail": False, "text": None}),
    ("mejor mándeme mensaje", {"text": True, "voicemail": None}),
    ("sí", {"voicemail": True, "text": True}), ("no", {"voicemail": False, "text": False}),
    ("sí, pero no dejen mensaje de voz", {"call": True, "voicemail": False, "text": True}),
    ("no me llamen, solo textos", {"call": False, "voicemail": False, "text": True}),
    ("si no contesto, déjenme un mensaje de voz", {"voicemail": True}),
])
def test_contact_permissions_in_spanish(text, expected):
    got = value(parse_contact_permissions(text))
    assert {key: got[key] for key in expected} == expected


def test_spanish_consent_naming_channels_fills_the_permissions():
    checked = check("consent", "sí, pero solo textos", Message("sí, pero solo textos"), {})
    assert checked.value is True
    assert checked.also["contact_permissions"]["text"] is True
    assert checked.also["contact_permissions"]["voicemail"] is False


# -- skipping an optional question ----------------------------------------------------------------------------

@pytest.mark.parametrize("slot", ["substances", "last_use", "withdrawal_signs", "prior_treatment", "insurance", "state", "best_time"])
@pytest.mark.parametrize("text", ["paso", "saltar", "siguiente", "prefiero no decir"])
def test_skipping_in_spanish(slot, text):
    assert PARSERS[slot](text).reason == SKIPPED


# -- messages that are not answers ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "quiero hablar con alguien", "con una persona real", "un operador", "quiero hablar con una persona",
    "¿puedo hablar con alguien en español?", "páseme con alguien por favor", "prefiero hablar con alguien",
])
def test_a_request_for_a_person_in_spanish(text):
    assert asks_for_a_person(text)


@pytest.mark.parametrize("text", ["¿eres una persona real?", "¿es usted un robot?", "mi hijo", "es una buena persona"])
def test_not_a_request_for_a_person_in_spanish(text):
    assert not asks_for_a_person(text)


@pytest.mark.parametrize("text", [
    "ya no quiero seguir", "olvídelo", "déjelo así", "ya no quiero contestar más", "cancelar", "ya basta",
    "sabe qué, mejor olvídelo", "no quiero seguir con esto, gracias", "ahorita no",
])
def test_a_wish_to_stop_in_spanish(text):
    assert wants_to_stop(text)


@pytest.mark.parametrize("text", [
    "ya no", "ya no toma", "no puede dejar de tomar", "quiere dejar de usar", "ya no quiero seguir viviendo",
    "dejó de tomar hace un mes",
])
def test_not_a_wish_to_stop_in_spanish(text):
    # "ya no" alone is "not any more", an answer; a wish to die is for the crisis detector.
    assert not wants_to_stop(text)


@pytest.mark.parametrize("text", ["déjeme ver", "un momento", "espere", "un segundito", "ok, déjeme buscar la tarjeta"])
def test_stalling_in_spanish(text):
    assert is_stalling(text)


@pytest.mark.parametrize("text", [
    "¿para qué quieren saber?", "¿cuánto cuesta?", "cuanto cuesta", "q es IOP", "que es iop", "qué es eso",
    "¿aceptan AHCCCS?", "por que necesitan mi nombre", "cuánto", "dónde están",
])
def test_a_question_in_spanish(text):
    assert is_question(text)
    assert starts_like_question(text)


@pytest.mark.parametrize("text", ["cuando sea", "cuanto antes", "como a las 5", "cómo no", "quién sabe", "mi hijo", "en la tarde"])
def test_not_a_question_in_spanish(text):
    assert not starts_like_question(text)


def test_an_answer_with_inverted_marks_is_still_shaped_like_a_question():
    assert is_question("¿en la tarde")


@pytest.mark.parametrize("text, expected", [
    ("sí", True), ("nel", True), ("sí, gracias", True), ("no, gracias", True), ("simón", True),
    ("no quiero vivir", False), ("sí, me quiero morir", False), ("ya no aguanto", False),
])
def test_bare_yes_or_no_in_spanish(text, expected):
    # A bare yes or no gets no safety check-in; anything more than that does.
    assert bare_yes_or_no(text) is expected


# -- through the form's policy -----------------------------------------------------------------------------------

@pytest.mark.parametrize("slot, text", [
    ("first_name", "quiero hablar con alguien"), ("substances", "¿para qué quieren saber?"),
    ("insurance", "un momento"), ("best_time", "ya no quiero seguir"), ("first_name", "¿cuánto cuesta?"),
])
def test_spanish_non_answers_are_never_stored(slot, text):
    assert answer_in(slot, Message(text)) is None


@pytest.mark.parametrize("slot, text, expected", [
    ("who_for", "mi hijo", "loved_one"), ("first_name", "me llamo Rosa", "Rosa"), ("best_time", "en la tarde", "afternoon"),
    ("substances", "cristal y chupe", ["alcohol", "stimulants"]), ("last_use", "anoche", "yesterday"),
    ("insurance", "el access", "Medicaid"), ("state", "aquí en Phoenix", "AZ"), ("best_time", "cuando sea", "anytime"),
    ("best_time", "como a las 5", "evening"),
])
def test_spanish_answers_are_stored_through_the_policy(slot, text, expected):
    answer = answer_in(slot, Message(text))
    assert answer is not None
    assert check(slot, answer, Message(text), {}).value == expected


def test_mi_hijo_answers_who_for_and_the_relation_at_once():
    checked = check("who_for", "mi hijo", Message("mi hijo"), {})
    assert checked.value == "loved_one" and checked.also == {"caller_relation": "parent"}


def test_a_screen_answer_in_spanish_that_says_yes_is_positive():
    checked = check("suicide_wish", "pues sí, a veces lo he pensado", Message("pues sí, a veces lo he pensado"), {})
    assert checked.value == parsers.SCREEN_YES and checked.positive_screen


# -- Spanish words that must not change an English answer ---------------------------------------------------

@pytest.mark.parametrize("text, slot, expected", [
    ("i feel like such a mess", "last_use", "unrecognized"),  # "mes" (month) + "s" is not "mess"
    ("runny nose and sweats", "withdrawal_signs", ["other"]),  # "nose" is "no sé" only by itself
    ("my pee looks like coca cola", "substances", "unrecognized"),
    ("he doesnt give me my dope and i get sick", "substances", ["opioids"]),  # "me" is no Spanish skip word here
    ("he's just not himself when he drinks", "substances", ["alcohol"]),
    ("my 16 yo got caught vaping weed", "who_for", "unrecognized"),  # "yo" after a number is years old, not "I"
    ("Ella", "first_name", "Ella"), ("Dolores", "first_name", "Dolores"), ("Rosa", "first_name", "Rosa"),
    ("visiting my mom in El Paso", "suicide_wish", "unrecognized"),  # "paso" declines only by itself
    ("if i don't answer leave a voicemail", "contact_permissions", {"voicemail": True}),
])
def test_spanish_vocabulary_leaves_english_answers_alone(text, slot, expected):
    result = PARSERS[slot](text)
    if isinstance(expected, dict):
        assert {key: result.value[key] for key in expected} == expected
    elif expected in ("unrecognized", "unclear"):
        assert result.reason == expected
    else:
        assert value(result) == expected


@pytest.mark.parametrize("text", ["ya me voy", "le deje una carta a mis hijos. ya me voy"])
def test_a_farewell_is_not_taken_for_a_wish_to_stop(text):
    # "Ya me voy" can be a suicidal farewell: never the quiet "stop" override.
    assert not wants_to_stop(text)


@pytest.mark.parametrize("text", ["no point anymore", "he's not breathing", "no, not safe"])
def test_a_no_with_more_to_it_is_not_bare_in_english_either(text):
    assert not bare_yes_or_no(text)


@pytest.mark.parametrize("slot, title, expected", [
    # The Spanish buttons' titles, typed instead of tapped (over SMS, or copied).
    ("who_for", "Para un ser querido", "loved_one"), ("caller_relation", "Madre o padre", "parent"),
    ("caller_relation", "Otro familiar", "other"), ("caller_relation", "Amigo(a)", "friend"),
    ("substances", "Opioides / fentanilo", ["opioids"]), ("substances", "Estimulantes", ["stimulants"]),
    ("substances", "Otra sustancia", ["other"]), ("last_use", "Hace más tiempo", "longer"),
    ("withdrawal_signs", "Ninguna de estas", []), ("prior_treatment", "No, es la primera vez", []),
    ("prior_treatment", "Tratamiento residencial", ["inpatient"]), ("prior_treatment", "Ambulatorio / IOP", ["outpatient"]),
    ("insurance", "Sin seguro médico", "none"), ("best_time", "Lo antes posible", "asap"),
    ("contact_permissions", "Solo mensaje de voz", {"call": None, "voicemail": True, "text": False}),
    ("contact_permissions", "Ninguno, solo llamar", {"call": True, "voicemail": False, "text": False}),
    ("contact_permissions", "solo de voz", {"call": None, "voicemail": True, "text": False}),
    ("contact_permissions", "de voz y de texto", {"call": None, "voicemail": True, "text": True}),
    ("consent", "Sí, pueden dejar mensaje", True), ("consent", "Sí, pero solo llamadas", True),
    ("suicide_wish", "Prefiero no decirlo", "declined"),
])
def test_spanish_button_titles_typed_out(slot, title, expected):
    assert value(PARSERS[slot](title)) == expected


# -- the blind Spanish form probe, round 1 (corpus/spanish/form_es_round1.yml): the rules its misses showed ----------

def stored(slot, text):
    """What the form keeps for ``text`` answering ``slot``: ``None`` when nothing."""
    answer = answer_in(slot, Message(text))
    return None if answer is None else check(slot, answer, Message(text), {}).value


@pytest.mark.parametrize("text", [
    # A yes, then "pero no ..." about a plan or an attempt: the screen asks neither.
    "la verdad... a veces nomás quiero dormirme y ya no despertar, pero no he hecho nada",
    "sometimes, sí, pero no tengo un plan ni nada", "a veces, aunque no tengo ningún plan",
    "yes but i dont have a plan", "yeah sometimes, but i haven't done anything",
    # Said of someone else: "ya no quiere vivir así".
    "mi hijo dice q si, que ya no quiere vivir así", "dice que se quiere morir",
])
def test_a_hedged_yes_on_the_suicide_screen_is_yes(text):
    assert value(parse_suicide_screen(text)) == "yes"
    checked = check("suicide_wish", answer_in("suicide_wish", Message(text)), Message(text), {})
    assert checked.value == parsers.SCREEN_YES and checked.positive_screen


@pytest.mark.parametrize("text", [
    # The "but" takes the yes out of the past month, or back: asked once more.
    "sí, pero no en el último mes", "a veces, pero no últimamente", "antes sí, pero ya no", "sí, pero no sé",
    "sí pero no", "sí, pero fue hace años", "yes, but not lately",
])
def test_a_but_that_takes_the_yes_back_is_unclear(text):
    assert parse_suicide_screen(text).reason == "unclear"


@pytest.mark.parametrize("text", ["mi hijo no quiere vivir con nosotros", "no quiero vivir con mi mamá"])
def test_where_to_live_is_no_wish_to_die(text):
    assert parse_suicide_screen(text).value != "yes"


@pytest.mark.parametrize("text, expected", [
    # A likeness is not the relation.
    ("somos amigos desde la prepa, es como mi hermano", "friend"), ("lo quiero como a un hijo, es mi vecino", "friend"),
    # "como" opening the answer is "since".
    ("como mi hijo no vive conmigo, no sé mucho", "parent"),
    # Helping professionals.
    ("soy su trabajadora social (del DCS)", "other"), ("Soy su trabajadora social del DCS", "other"),
    ("soy su consejera", "other"), ("i'm his social worker", "other"), ("I'm her case manager", "other"),
])
def test_caller_relation_likeness_and_professionals(text, expected):
    assert value(parse_caller_relation(text)) == expected


@pytest.mark.parametrize("text", ["es como mi hermano", "soy como su mamá", "he's like a brother to me"])
def test_a_likeness_alone_is_asked_again(text):
    assert parse_caller_relation(text).reason == "unrecognized"


@pytest.mark.parametrize("text", [
    "Buenas tardes, soy trabajadora social y busco información para una clienta",
    "im a social worker looking for info for a client",
])
def test_a_social_worker_asks_for_a_loved_one(text):
    assert value(parse_who_for(text)) == "loved_one"


def test_ones_own_social_worker_is_no_loved_one():
    # Professionals are roles only for the relation question.
    assert parse_who_for("mi trabajadora social me dio este número").value != "loved_one"


@pytest.mark.parametrize("text, expected", [
    ("Beto está bien", "Beto"), ("Beto esta bien", "Beto"), ("Rosa por favor", "Rosa"),
    ("mi nombre es yesenia con y griega", "Yesenia"), ("Jaime sin h", "Jaime"), ("María con acento", "María"),
    ("pregunten por Chuy, si contesta mi mama diganle que son de la escuela", "Chuy"),
    ("Dave is fine", "Dave"), ("Ann with an e", "Ann"), ("ask for Dave", "Dave"),
])
def test_first_name_with_what_follows_it(text, expected):
    assert value(parse_first_name(text)) == expected
    assert stored("first_name", text) == expected


@pytest.mark.parametrize("text", [
    "eso mejor lo hablo con una persona", "prefiero hablarlo con alguien", "eso lo platico con alguien de verdad",
])
def test_what_they_would_rather_say_to_a_person_asks_for_one(text):
    assert asks_for_a_person(text)
    assert stored("insurance", text) is None


@pytest.mark.parametrize("text", ["hablo con un consejero cada semana", "lo hablo con mi esposa"])
def test_talking_with_someone_is_not_asking_for_a_person(text):
    assert not asks_for_a_person(text)


@pytest.mark.parametrize("text", ["depende", "tal vez", "maybe", "depends"])
def test_a_hedge_is_no_insurer(text):
    assert parse_insurance(text).reason == "unclear"


def test_a_hedge_before_an_insurer_keeps_it():
    assert value(parse_insurance("tal vez AHCCCS")) == "Medicaid"


@pytest.mark.parametrize("text", [
    "sabe que, olvidelo, no estoy listo", "olvídelo, no estoy lista todavía", "forget it, i'm not ready",
])
def test_a_stop_with_its_reason_is_a_stop(text):
    assert wants_to_stop(text)
    assert stored("consent", text) is None  # not a consent "no"


def test_not_ready_alone_is_no_stop():
    assert not wants_to_stop("no estoy listo")


@pytest.mark.parametrize("slot", ["prior_treatment", "substances", "withdrawal_signs", "insurance"])
@pytest.mark.parametrize("text", ["no quiero hablar de eso", "prefiero no hablar de eso", "I'd rather not talk about it"])
def test_not_wanting_to_talk_about_it_skips_the_question(slot, text):
    assert PARSERS[slot](text).reason == SKIPPED
    assert stored(slot, text) == SKIPPED  # never "none"


@pytest.mark.parametrize("slot, text", [
    ("prior_treatment", "si ya fue a rehab y recayo todavia lo aceptan?"),
    ("state", "ustedes estan en scottsdale verdad? queda lejos de aqui?"),
    ("substances", "si es alcohol y cristal lo pueden ayudar?"),
])
def test_a_question_in_full_is_not_an_answer(slot, text):
    assert only_asks(text)
    assert answer_in(slot, Message(text)) is None
    assert other_answer(slot, Message(text)) is None


@pytest.mark.parametrize("slot, text, expected", [
    # Short and unsure, or an answer before the question: still the answer.
    ("prior_treatment", "rehab?", ["inpatient"]), ("best_time", "como a las 5?", "evening"),
    ("state", "new mexico. is that too far?", "NM"), ("who_for", "mi hijo, ¿ustedes lo pueden ayudar?", "loved_one"),
])
def test_an_answer_with_a_question_mark_is_still_an_answer(slot, text, expected):
    assert stored(slot, text) == expected


def test_a_yes_on_the_screen_asked_as_a_question_is_still_a_yes():
    text = "me quiero morir, es normal sentir esto?"
    assert stored("suicide_wish", text) == parsers.SCREEN_YES


@pytest.mark.parametrize("text, expected", [
    ("estuvo internado 30 dias y luego iba a grupos 3 veces por semana", ["inpatient", "outpatient"]),
    ("un programa en las tardes, como este", ["outpatient"]), ("terapia de grupo", ["outpatient"]),
    ("va a grupos de apoyo", ["other"]), ("went to an evening program", ["outpatient"]),
])
def test_prior_treatment_groups_and_programs(text, expected):
    assert value(parse_prior_treatment(text)) == expected
    assert stored("prior_treatment", text) == expected
    assert other_answer("prior_treatment", Message(text)) is None  # "en las tardes" is no best time here


@pytest.mark.parametrize("text", ["necesito ayuda porfavor", "necesito ayuda", "necesito ayuda urgente"])
def test_a_plea_for_help_does_not_say_for_whom(text):
    assert not parse_who_for(text).ok
    assert stored("who_for", text) is None


@pytest.mark.parametrize("text", [
    "depende del dia, a veces trabajo en la noche y a veces de dia", "mira la neta no se ni que dia es hoy, todo esta bien revuelto",
    "depends on the day, sometimes i work nights", "it depends",
])
def test_best_time_that_names_no_choice_is_unclear(text):
    assert parse_best_time(text).reason == "unclear"


@pytest.mark.parametrize("text, expected", [("depende, pero mejor en la tarde", "afternoon"), ("hoy", "asap")])
def test_best_time_chosen_after_a_hedge(text, expected):
    assert value(parse_best_time(text)) == expected


# -- "pa" for "para", and a yes or no said after the way of contact (the Spanish persona suite) -----------

@pytest.mark.parametrize("text, expected", [
    ("pa mi", "self"), ("pa mí", "self"), ("pa' mí", "self"), ("pa\u2019 mi", "self"), ("es pa mi", "self"),
    ("pa mi mismo", "self"), ("pa mi, gracias", "self"),
    ("pa mi hijo", "loved_one"), ("pa' mi hija", "loved_one"), ("pa mijo", "loved_one"), ("es pa mi esposo", "loved_one"),
])
def test_pa_is_para_for_whom(text, expected):
    assert value(parse_who_for(text)) == expected
    assert stored("who_for", text) == expected


def test_pa_by_itself_is_still_pennsylvania():
    assert value(parse_state("PA")) == "PA"
    assert value(parse_caller_relation("pa mi hijo")) == "parent"


@pytest.mark.parametrize("text, consent, permissions", [
    ("sí, pero mensajes de texto no", True, {"call": True, "voicemail": True, "text": False}),
    ("si pero mensajes de texto no", True, {"call": True, "voicemail": True, "text": False}),
    ("mensajes sí, llamadas no", True, {"call": False, "voicemail": True, "text": True}),
    ("llamadas sí, mensajes no", True, {"call": True, "voicemail": False, "text": False}),
    ("sí, buzón de voz no, textos sí", True, {"call": True, "voicemail": False, "text": True}),
    ("solo llamadas, nada de mensajes", True, {"call": True, "voicemail": False, "text": False}),
    ("yes, but texts no", True, {"call": True, "voicemail": True, "text": False}),
])
def test_consent_with_a_channel_refused_after_it(text, consent, permissions):
    assert value(parse_consent(text)) is consent
    assert value(parse_contact_permissions(text, call_asked=True)) == permissions
    checked = check("consent", text, Message(text), {})
    assert checked.value is consent
    assert checked.also["contact_permissions"] == permissions


@pytest.mark.parametrize("text", ["buzón de voz no", "buzón de voz no, por favor", "mensajes de texto no", "no voicemail"])
def test_refusing_only_a_message_does_not_answer_the_consent(text):
    """It says nothing of the call itself: asked again, neither a yes nor a no to being contacted."""
    assert parse_consent(text).reason == "unclear"
    checked = check("consent", text, Message(text), {})
    assert checked.value is None and checked.reask == "unclear"


@pytest.mark.parametrize("text, expected", [
    ("buzón de voz no", {"voicemail": False, "text": None}),
    ("buzón de voz no, por favor", {"voicemail": False}),
    ("mensajes de texto no, mi esposo lee mi celular", {"text": False}),
    ("textos sí, buzón de voz no", {"voicemail": False, "text": True}),
    ("mensajes no", {"voicemail": False, "text": False}),
    ("mensajes sí", {"voicemail": True, "text": True}),
    ("texto no hay problema", {"text": True}),  # "no hay problema" is a yes
    ("llamadas no contesto, mejor mensaje de texto", {"text": True}),  # the "no" does not end the clause
])
def test_contact_permissions_refused_after_the_channel(text, expected):
    got = value(parse_contact_permissions(text))
    assert {key: got[key] for key in expected} == expected


def test_calls_and_messages_refused_is_no_consent():
    assert check("consent", "no calls or texts", Message("no calls or texts"), {}).value is False
    assert check("consent", "no, llamadas no", Message("no, llamadas no"), {}).value is False
