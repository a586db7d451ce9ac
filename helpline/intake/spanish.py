"""Spanish vocabulary of the intake's answers, in one place for review.

:mod:`helpline.intake.parsers` merges every table here into its English one, so an
answer is read in both languages in one pass ("my son, tiene 19"). Like the English
tables, entries are regular-expression fragments matched on whole words of the
*folded* answer: lower case, accents and tildes dropped ("mamá" -> "mama", "año" ->
"ano", "sé" -> "se"), straight quotes, single spaces. Free text the caller gave (a
name, an unknown insurer) is stored as typed, accents included; only matching folds.

Written for Spanish speakers in Arizona, mostly of Mexican origin, with Central
American words where they differ ("pisto", "guaro"), the spellings of texting
("q", "xfa", "msj") and common typos ("alcol", "aseguransa"). Words that are also
ordinary Spanish in another sense are kept narrow, with the reason beside them:
"toma" (drinks, or takes a pill), "mañana" (morning, or tomorrow), "ya no" (not any
more, or "stop"), "sé"/"se" (I know, or a pronoun), "vino" (wine, or came).
"""
from __future__ import annotations

from typing import Dict, Tuple

# Texting spellings and contractions, read as the words the tables hold. Only
# tokens that are not English words: "k" (English "ok") and "pa" (PA, a state) stay.
SMS_SPELLINGS: Dict[str, str] = {
    "q": "que", "ke": "que", "xq": "porque", "xk": "porque", "porq": "porque", "pq": "porque",
    "xfa": "por favor", "xfavor": "por favor", "porfa": "por favor", "porfis": "por favor", "plis": "por favor",
    "porfavor": "por favor",
    "tmb": "tambien", "tb": "tambien", "tmbn": "tambien", "tambn": "tambien", "bn": "bien", "dnd": "donde",
    "msj": "mensaje", "msjs": "mensajes", "mnsj": "mensaje", "mje": "mensaje", "mjes": "mensajes",
    "cel": "celular", "ntp": "no te preocupes", "ns": "no se", "nse": "no se", "aki": "aqui",
    "kiero": "quiero", "kien": "quien", "mna": "manana", "mnn": "manana", "mñn": "manana",
    # "mijo" is "mi hijo": the caller is the parent, as with "my son".
    "mijo": "mi hijo", "mija": "mi hija", "mijito": "mi hijito", "mijita": "mi hijita",
    "mijos": "mis hijos", "mijas": "mis hijas",
}
# "Pa" is "para" before the words that follow "para" ("pa mí", "pa' mi hijo", "pa la tarde").
# By itself it stays: PA is a state, and "my pa" a father. Matched on the folded text.
PARA_SHORT = (
    r"(?<![\w'])pa'?(?=\s+(?:mi|mis|su|sus|tu|tus|el|ella|ellos|ellas|nosotr[oa]s|nuestr[oa]s?|la|las|los|un|una|que)"
    r"(?![\w']))"
)

# --- yes / no ---------------------------------------------------------------------------

YES_WORDS: Tuple[str, ...] = (
    r"si+", r"sip", r"sis+i", r"simon", r"claro", r"claro que si", r"dale", r"okey", r"oki", r"okis",
    r"orale", r"andale", r"de acuerdo", r"estoy de acuerdo", r"esta bien", r"ta bien", r"por supuesto",
    r"desde luego", r"correcto", r"afirmativo", r"con gusto", r"adelante", r"perfecto", r"acepto",
    r"si acepto", r"de una", r"arre", r"si por favor", r"por favor", r"asi es", r"aja",
)
# Yes only as the whole answer: elsewhere they are other words ("no, sale tarde del
# trabajo": he gets off late; "va a ver el mensaje": he will see the message).
YES_WHOLE_ANSWER: Tuple[str, ...] = (
    r"sale", r"va", r"vale", r"bueno", r"seguro", r"eso", r"sale pues", r"va pues", r"sale y vale",
    r"va que va", r"pues si", r"si pues", r"ok pues", r"ya", r"ya si", r"exacto",
)
NO_WORDS: Tuple[str, ...] = (
    r"no+", r"nel", r"nop", r"nones", r"nanay", r"para nada", r"no gracias", r"mejor no", r"prefiero que no",
    r"prefiero no", r"negativo", r"jamas", r"nunca", r"de ninguna manera", r"ni loco", r"ni loca", r"no quiero",
    r"no acepto", r"no estoy de acuerdo", r"ni de chiste", r"ni madres", r"nada",
)
# Whole phrases whose words would read as the opposite answer, replaced before judging.
YES_IDIOMS: Tuple[str, ...] = (
    r"no hay (?:ningun )?(?:problema|bronca|pedo|cuidado|inconveniente)", r"no me (?:molesta|importa)",
    r"no tengo (?:ningun )?(?:problema|inconveniente)", r"sin problema", r"como no", r"por que no",
    r"claro que si", r"no se preocupen?", r"no te preocupes", r"no pasa nada",
)
NO_IDIOMS: Tuple[str, ...] = (
    r"no,? gracias", r"gracias,? pero no", r"mejor no", r"prefiero (?:que )?no", r"no,? por favor",
    r"por favor,? no", r"no esta bien", r"no me parece", r"no quiero", r"(?:claro|por supuesto|desde luego) que no",
)
HEDGE_WORDS: Tuple[str, ...] = (
    r"tal ?vez", r"quizas?", r"a lo mejor", r"puede ser", r"puede que", r"probablemente", r"supongo",
    r"creo que (?:si|no)", r"depende", r"mas o menos", r"no (?:estoy|estamos) segur[oa]s?", r"quien sabe",
)

# "I don't know". "no se" alone is also "no" + a pronoun ("no se droga": he does not use
# drugs), so it counts only at the end of the answer or before words that go with
# "I don't know" ("no sé cuál", "no sé si").
DONT_KNOW: Tuple[str, ...] = (
    r"no (?:lo )?se(?=\s*$|\s*[,.;!?]|\s+(?:nada|cual|cuales|que|si|bien|exactamente|la verdad|de verdad|realmente"
    r"|todavia|aun|como|cuando|cuanto|cuantos|cuantas|donde|quien|eso|muy bien|mucho|ni|pero|y|o|senorita|senor"
    r"|oiga|honestamente|sinceramente|con certeza|con seguridad|de eso|ahorita|ahora)\b)",
    r"ni idea", r"no tengo (?:ni )?idea", r"quien sabe", r"sepa(?: dios)?", r"no (?:estoy|estamos) segur[oa]s?",
    r"no sabria(?: decirle| decir)?", r"no sabemos", r"no me acuerdo", r"no recuerdo", r"no se sabe",
    r"desconozco",
    # "nose" (no sé) only by itself or before Spanish: "runny nose" is English.
    r"^nose(?=\s*$|[\s,.!]+(?:la verdad|que|si|cual|bien|nada|pero|ni|jaja))",
)

# Skipping an optional question (the screen's own decline words are below).
SKIP_WORDS: Tuple[str, ...] = (
    r"paso", r"saltar", r"saltela", r"saltatela", r"brincar", r"siguiente", r"siguiente pregunta",
    r"prefiero no (?:decir|decirlo|contestar|responder|dar(?:lo|la)?)", r"mejor no (?:digo|contesto|decir)",
    r"no quiero (?:decir|decirlo|contestar|responder)",
    # Not wanting to talk about it declines the question; it is not a "no" ("no" + "hablar").
    r"(?:no quiero|prefiero no|mejor no|no me gusta) hablar(?: de (?:eso|esto|ello)| del tema| sobre (?:eso|esto))?",
)

# --- who it is for, and the caller's relation ---------------------------------------------

WHO_FOR_SELF: Tuple[str, ...] = (
    r"(?<!\d )(?<!\d)yo", r"soy yo", r"yo mismo", r"yo misma", r"para mi", r"es para mi", r"por mi", r"sobre mi", r"mio", r"mia",
    r"yo soy", r"yo tengo", r"yo tomo", r"yo uso", r"yo necesito", r"yo quiero",
    # "Necesito ayuda con la bebida" is about oneself; "necesito ayuda, por favor" alone could
    # be for anyone (a worried parent writes it too): asked again.
    r"necesito ayuda(?!(?:[\s,.!]*(?:por favor|urgente|ya|ahora|ahorita|rapido|pronto|gracias|please))*[\s,.!?]*$)",
    r"tengo un problema", r"quiero dejar", r"mi persona", r"tengo \d{1,2}(?: anos)?",
)
# "para mí" said by itself, not "para mi hijo": folded, "mí" (me) and "mi" (my) are one word.
STRONG_SELF = r"para mi(?=\s*$|\s*[,.;!?]|\s+(?:y|mismo|misma|sol[oa]|tambien)\b)|yo mism[oa]|soy yo|es para mi\s*$"
WHO_FOR_LOVED_ONE: Tuple[str, ...] = (
    r"otra persona", r"alguien mas", r"alguien que (?:quiero|amo|conozco)", r"un ser querido", r"ser querido",
    r"un familiar", r"familiar", r"un pariente", r"pariente", r"para (?:ella|ellos|ellas)", r"por (?:ella|ellos)",
    r"para el(?=\s*$|\s*[,.;!?])",
    r"(?:el|ella|ellos) (?:tiene|toma|usa|bebe|fuma|necesita|esta|consume|anda|no quiere|se droga|se inyecta)",
    r"tiene \d{1,2}(?: anos)?",
)
# The words before a role that name someone else ("mi hijo", "una amiga", "su mamá").
POSSESSIVES = r"mi|mis|su|sus|nuestr[oa]s?|un|una|el|la"
OWN_POSSESSIVES = r"mi|mis|nuestr[oa]s?"

ROLE_WORDS: Dict[str, Tuple[str, ...]] = {
    "parent": (
        r"mama", r"mami", r"mamita", r"madre", r"papa", r"papi", r"papito", r"padre", r"papas", r"padres",
        r"jefa", r"jefita", r"jefito", r"jefitos", r"madrastra", r"padrastro", r"tutora?",
    ),
    "child": (
        r"hij[oa]s?", r"hijit[oa]s?", r"hijastr[oa]s?", r"nin[oa]s?", r"muchach[oa]", r"chamac[oa]",
    ),
    "partner": (
        r"espos[oa]", r"marido", r"mujer", r"pareja", r"novi[oa]", r"prometid[oa]", r"mi senora", r"ex espos[oa]",
        r"ex pareja", r"ex novi[oa]", r"concubin[oa]", r"companer[oa](?! de (?:trabajo|cuarto|casa|escuela|clase))",
    ),
    "sibling": (
        r"herman[oa]s?", r"hermanit[oa]s?", r"medi[oa] herman[oa]", r"hermanastr[oa]", r"gemel[oa]", r"carnal",
        r"carnala",
    ),
    "friend": (
        r"amig[oa]s?", r"mejor amig[oa]", r"compa", r"compadre", r"comadre", r"cuate", r"vecin[oa]",
        r"companer[oa] de (?:trabajo|cuarto|casa|escuela|clase)", r"roomie", r"colega", r"conocid[oa]",
    ),
    # "jefe" is the boss ("mi jefa", the Mexican "my mom", is a parent above).
    "other": (
        r"prim[oa]s?", r"ti[oa]s?", r"sobrin[oa]s?", r"niet[oa]s?", r"abuel[oa]s?", r"abuelit[oa]s?", r"suegr[oa]",
        r"cunad[oa]", r"yerno", r"nuera", r"jefe", r"patron", r"emplead[oa]", r"client[ea]s?", r"paciente",
        r"estudiante", r"alumn[oa]", r"maestr[oa]", r"padrino", r"madrina", r"ahijad[oa]", r"otro familiar",
    ),
}
# Helping professionals: "soy su trabajadora social" answers the relation question ("other").
# Only there: "mi trabajadora social me dio este número" is someone asking for themselves.
CARE_ROLES: Tuple[str, ...] = (
    r"trabajador(?:a)? social", r"trabajador(?:a)? (?:de casos?|del caso|del dcs|de dcs|de cps)",
    r"manejador(?:a)? de casos?", r"administrador(?:a)? de casos?", r"case manager",
    r"oficial de (?:probatoria|libertad condicional)", r"agente de (?:probatoria|libertad condicional)",
    r"consejer[oa]", r"terapeuta", r"psicolog[oa]", r"doctor(?:a)?", r"enfermer[oa]", r"pastor(?:a)?",
)
# A likeness is not the relation: "es como mi hermano" is said of a friend, "como de la familia"
# of anyone. After a verb, or with "un"/"una" ("como un hijo para mí"); a "como" opening the
# answer is "since" ("como mi hijo no vive conmigo...") and stays.
LIKENESS = (
    r"\b(?:es|era|soy|son|eran|somos|fue|ha sido|veo|quiero|considero|siento|trato|casi)\s+como\s+"
    r"(?:si fuera\s+)?(?:a\s+)?(?:mi|mis|su|sus|de la|de mi)\s+\w+"
    r"|(?<=\w)[\s,]+como\s+(?:si fuera\s+)?(?:a\s+)?(?:un|una|de la)\s+\w+"
)

# --- names ------------------------------------------------------------------------------

NAME_PREFIXES: Tuple[str, ...] = (
    r"me llamo", r"yo me llamo", r"mi nombre es", r"mi primer nombre es", r"nombre:?", r"soy", r"yo soy",
    r"digame", r"dime", r"me dicen", r"me puede decir", r"me pueden decir", r"puede llamarme", r"llameme",
    r"le habla", r"habla con",
    # Who to ask for when we call: "pregunten por Chuy".
    r"pregunt(?:en|e|ar|a) por",
)
NAME_DECLINE: Tuple[str, ...] = (
    r"prefiero no(?: decir(?:lo|le)?| dar(?:lo)?| darlo| compartir(?:lo)?)?(?: mi nombre)?", r"anonim[oa]",
    r"sin nombre", r"no gracias", r"paso", r"saltar", r"siguiente", r"mejor no", r"no quiero (?:decir|dar|darlo|decirlo)(?: mi nombre)?",
    r"no le quiero decir", r"no (?:le )?voy a (?:decir|dar)(?: mi nombre)?",
)
# Greetings before a name ("Hola, me llamo Rosa").
GREETINGS = r"hola|buenas(?: tardes| noches)?|buenos dias|que tal|buen dia|oiga|si|claro"
# Words that end the name: "Rosa y soy su mamá", "Juan pero me dicen Johnny".
NAME_ENDS = (
    r"y soy|y estoy|y tengo|y le|y me|y mi|y es|pero|porque|para|soy|estoy|tengo|le hablo|hablo"
    # "Beto está bien": the name is fine as it is.
    r"|esta bien|ta bien|asi esta bien|por favor"
)
# How a name is spelt, after it: "Yesenia con y griega", "Ana con una n", "Jaime sin h".
SPELLING_HINT = (
    r"(?:con|sin)\s+(?:(?:una?|la|el|dos|doble)\s+)?"
    r"(?:y griega|i griega|i latina|acento|tilde|hache|jota|zeta|equis|elle|ele|ese|eme|ene|ere|erre|ye|ve|be|ce|ge|ka"
    r"|[a-z])(?!\w)"
)
# Small words inside a Spanish name: "María de la Luz", "José de Jesús".
NAME_PARTICLES = frozenset({"de", "del", "la", "las", "los", "y"})
# Words no first name is made of. Words that are also names (Rosa, Luz, Paz, Dolores,
# Consuelo, Guadalupe, Cruz, Reyes, Santos, Sol, Flor, Cielo, Blanca, Ella) are left out on purpose.
NOT_NAME_WORDS = frozenset("""
    yo mi mis su sus tu tus el ellos ellas usted ustedes nosotros que porque para por con sin
    lo le les un una uno unos unas o pero si no nada nombre numero telefono celular llamar llamen llamada
    llamadas mensaje mensajes texto textos hora horas manana tarde noche hoy ayer ahorita ahora gracias favor
    hijo hija hijos esposo esposa mama papa hermano hermana amigo amiga novio novia pareja alcohol drogas droga
    seguro aseguranza quiero necesito ayuda decir prefiero saber es soy son esta estoy estan bien mal bueno
    hola buenas buenos dias tengo tiene tienen cuando como donde quien cual persona alguien operador operadora
    humano robot eso esto este esa ese otro otra mejor todavia ya aqui alla tambien cualquier cualquiera
    nadie algo puede pueden para que quien sabe nose paso siguiente saltar dar digo llamo llama primero
""".split())  # noqa: SIM905 (a word list reads best as text)

# --- substances -----------------------------------------------------------------------------

# What "toma" takes when it is not drink: "toma pastillas", "toma suboxone".
_NOT_A_DRINK = (
    r"pastill|pildor|medic|clona|xanax|suboxon|metadon|percoc|perk|oxi|valium|rivotril|benzo|fenta|m30|azul"
    r"|tafil|tramadol|morfin|codein|ansiolit|calmant|antidepre|naltrex|vitamin|agua|cafe|te\b|jugo|refresco|leche"
)
_TOMAR = rf"tom(?:ar|a|an|ando|o|aba|aban|e|amos|ara|ado)(?!\s+(?:\w+\s+)?(?:{_NOT_A_DRINK}))"

SUBSTANCES: Dict[str, Tuple[str, ...]] = {
    "alcohol": (
        r"alcohol\w*", r"alcol\w*", r"alcool", r"chupe", r"chup(?:a|ar|ando|o|aba|an)", r"cheves?", r"chelas?",
        r"cervezas?", r"cerbezas?", r"pisto", r"pistear", r"pistea", r"pisteando", r"tragos?", r"caguamas?",
        r"mezcal", r"licor", r"guaro", r"bebid[ao]s?", r"beb(?:er|e|en|iendo|io|ia)", r"borrach\w*",
        r"emborrach\w*", r"la peda", r"pedas", r"vino tinto", r"vinos", _TOMAR,
    ),
    "opioids": (
        r"heroina", r"chiva", r"la negra", r"negra", r"goma", r"fentanilo", r"fentanil", r"fentas?",
        r"pastillas azules", r"las azules", r"azules", r"m ?30s?", r"perk(?:y|ys|is|ies)", r"percos?",
        r"oxis?", r"oxicodona", r"oxicontin", r"morfina", r"metadona", r"hidrocodona", r"codeina", r"opioides?",
        r"opiaceos?", r"opio", r"analgesicos?", r"pastillas para el dolor",
    ),
    "stimulants": (
        r"cristal", r"foco", r"hielo", r"metanfetaminas?", r"metafetaminas?", r"anfetaminas?", r"cocaina", r"coca(?! ?cola)",
        r"perico", r"polvo", r"piedra", r"la piedrita", r"crack", r"estimulantes?",
    ),
    "benzodiazepines": (
        r"clonas?", r"clonazepam", r"clonacepam", r"rivotril", r"diazepam", r"valium", r"benzodiacepinas?",
        r"benzodiazepinas?", r"lorazepam", r"tafil", r"ansioliticos?", r"pastillas para los nervios",
    ),
    "cannabis": (
        r"mota", r"mariguana", r"marijuana", r"hierba", r"yerba", r"porros?", r"cripy", r"cripi", r"kripy",
        r"canabis", r"vape de thc", r"vapeador de thc", r"gomitas de thc",
    ),
    "other": (
        r"otr[oa]s?", r"otra cosa", r"tachas?", r"hongos", r"acido", r"ketamina", r"keta", r"inhalantes?",
        r"el activo", r"thiner", r"thinner", r"resistol", r"cemento", r"pastillas para dormir", r"gabapentina",
        r"popper",
    ),
}
NONE_WORDS: Tuple[str, ...] = (
    r"ningun[oa]s?", r"nada", r"nada de eso", r"no nada", r"nel", r"nop", r"ningun[oa] de (?:esos|esas|estos|estas)",
)

# --- when it was last used -------------------------------------------------------------------------

LAST_USE_PHRASES: Dict[str, Tuple[str, ...]] = {
    "today": (
        r"hoy", r"hoy mismo", r"hace (?:un )?rat(?:o|ito)", r"^ahorita$", r"^ahora$", r"ahor(?:a|ita) mismo", r"en este momento",
        r"esta manana", r"esta tarde", r"esta noche", r"hace (?:unos )?minutos", r"hace unas horas",
        r"(?:sigue|todavia|aun|esta|anda) (?:usando|tomando|consumiendo|bebiendo|fumando|drogad[oa]|borrach[oa]|pedo|tomad[oa]|activ[oa])",
        r"(?:todavia|aun) (?:usa|toma|consume|bebe|fuma)", r"diario", r"a diario", r"todos los dias", r"cada dia",
        r"todas las noches", r"todo el tiempo", r"siempre",
    ),
    # "anoche" is "last night": yesterday, as the English reads "last night".
    "yesterday": (r"ayer", r"anoche", r"ayer en la (?:noche|tarde|manana)", r"la otra noche"),
    "this week": (
        r"esta semana", r"hace (?:unos|pocos|algunos) dias", r"hace dias", r"el fin(?: de semana)?(?: pasado)?",
        r"este fin(?: de semana)?", r"antier", r"anteayer", r"antenoche", r"el otro dia",
        r"(?:el )?(?:lunes|martes|miercoles|jueves|viernes|sabado|domingo)(?: pasado)?",
    ),
    "this month": (
        r"este mes", r"la semana pasada", r"hace (?:unas|pocas|algunas) semanas", r"el mes pasado",
    ),
}
LAST_USE_LONGER: Tuple[str, ...] = (
    r"hace (?:muchos |unos |varios )?(?:meses|anos)", r"hace mucho(?: tiempo)?", r"hace (?:mas )?tiempo", r"hace bastante",
    r"mas tiempo", r"mas de un mes",
    r"el ano pasado", r"meses", r"anos", r"limpi[oa]", r"sobri[oa]", r"en recuperacion",
)
NUMBER_WORDS: Dict[str, int] = {
    "un": 1, "una": 1, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8,
    "nueve": 9, "diez": 10, "once": 11, "doce": 12, "quince": 15, "veinte": 20, "treinta": 30,
    "un par de": 2, "par de": 2, "unos": 3, "unas": 3, "unos cuantos": 3, "unas cuantas": 3, "pocos": 3,
    "pocas": 3, "algunos": 3, "algunas": 3, "varios": 4, "varias": 4,
}
# Spelt out with their plurals: the English units take an "s", and "mes" + "s" is "mess".
UNIT_DAYS: Dict[str, float] = {
    "hora": 1 / 24, "horas": 1 / 24, "dia": 1, "dias": 1, "noche": 1, "noches": 1, "semana": 7, "semanas": 7,
    "mes": 30, "meses": 30, "ano": 365, "anos": 365, "anio": 365, "anios": 365,
}
# "cada 3 días" is how often, not how long ago.
FREQUENCY_WORDS = frozenset({"cada"})
# Before an amount: "hace 3 días" is 3 days ago; "desde hace 3 años" is how long.
AGO_BEFORE = r"(?<!desde )\bhace\s+(?:como\s+|unos\s+|unas\s+|ya\s+|mas de\s+|menos de\s+|casi\s+)?$"
# After an amount: "2 días sin usar", "3 meses limpio", "una semana que no toma".
AGO_AFTER = r"^\s+(?:sin\b|que no\b|limpi[oa]|sobri[oa]|de no\b)"
MORE_THAN = r"\b(?:mas de|por lo menos|al menos)\s*$"
# How long the use has gone on, not when it last happened.
USE_DURATION = (
    r"\bdesde hace\b"
    r"|\b(?:lleva|llevo|llevan|llevamos|tiene|tengo|tienen)\s+(?:\w+\s+){0,3}(?:usando|tomando|consumiendo|bebiendo|fumando|drogandose|metiendose)\b"
    r"|\b(?:ha|han|he|hemos)\s+(?:estado\s+)?(?:usando|tomando|consumiendo|bebiendo|fumando)\b"
    r"|\bdesde (?:que|el ano pasado|la prepa|la secundaria|la escuela|joven|chic[oa]|nin[oa]|los \d+|\d{4})\b"
    r"|\b(?:por|durante)\s+(?:(?:los|las)\s+(?:ultimos|ultimas)\s+)?(?:\w+\s+)?(?:anos|meses|semanas|mucho tiempo)\b"
)
# The use has stopped: then an amount is how long ago ("tres meses sin tomar").
NOT_USING = (
    r"\b(?:sin (?:usar|tomar|consumir|beber|fumar|drogarse|nada)|limpi[oa]|sobri[oa]|dej(?:o|e|amos) de"
    r"|(?:ya )?no (?:ha |he )?(?:usa|toma|consume|bebe|fuma|usado|tomado|consumido|bebido|fumado)|en recuperacion"
    r"|reca(?:yo|i|ida)\w*)\b"
)

# --- withdrawal signs ------------------------------------------------------------------------

WITHDRAWAL_SIGNS: Dict[str, Tuple[str, ...]] = {
    "shaking": (
        r"temblor(?:es)?", r"tiembl(?:a|an|o|e)", r"tembl(?:ando|aba|aban|or|ores|adera|orina)",
        r"le tiemblan las manos",
    ),
    "seizures": (
        r"convulsion(?:es)?", r"convulsiona\w*", r"convulsivas?", r"epilepsia", r"ataques? epileptic[oa]s?",
        r"ataques?(?! de (?:panico|ansiedad|nervios|tos|risa|coraje)| al corazon| cardiac[oa]s?)",
    ),
    "hallucinations": (
        r"alucina\w*", r"(?:ve|veo|ven|vio|mira) (?:cosas|bichos|animales|gente|sombras|personas|aranas)",
        r"(?:oye|oigo|oyen|escucha|escucho) (?:voces|cosas|ruidos)", r"siente bichos", r"delir\w*",
    ),
    "severe_vomiting": (
        r"vomit\w*", r"devuelve(?: todo)?", r"devolviendo", r"guacare\w*", r"arroja(?:ndo)?",
        r"no (?:retiene|aguanta) (?:nada|la comida|el agua)",
    ),
    "other": (
        r"sudor(?:es)?", r"suda(?:ndo)?", r"nauseas?", r"ansiedad", r"ansios[oa]", r"no (?:puede|puedo) dormir",
        r"no duerme", r"insomnio", r"calambres?", r"dolor(?:es)? de (?:cuerpo|huesos|cabeza|estomago|panza)",
        r"diarrea", r"escalofrios?", r"malilla", r"malill[oa]", r"cruda", r"abstinencia", r"corazon acelerado",
        r"panico", r"ataques? de (?:panico|ansiedad|nervios)", r"mocos", r"escurrimiento", r"malestar", r"enferm[oa]",
        r"(?:le |me )?duel(?:e|en) (?:todo|el cuerpo|los huesos|la cabeza|el estomago|la panza)",
    ),
}
# "No tiene nada de eso", "sin síntomas".
WITHDRAWAL_NONE = (
    r"\b(?:no|sin|ningun|ningunos?|ningunas?) (?:(?:tiene|tengo|ha tenido|he tenido|hay|presenta) )?"
    r"(?:sintomas?|senales|nada(?: de eso| asi| parecido)?)\b|\bnada de eso\b|\bninguno de esos\b"
)

# --- prior treatment -------------------------------------------------------------------------

PRIOR_TREATMENT: Dict[str, Tuple[str, ...]] = {
    "detox": (r"desintoxicacion", r"desintox\w*", r"desintoxicarse"),
    "inpatient": (
        r"intern(?:ado|ada|ados|adas|aron|amiento|arlo|arla|arse|o)", r"anex\w*", r"centro de rehabilitacion",
        r"clinica de rehabilitacion", r"rehabilitacion(?! ambulatori)", r"centro de tratamiento", r"residencial",
        r"tratamiento residencial", r"granja",
    ),
    "outpatient": (
        r"ambulatori[oa]s?", r"consejer(?:ia|o|a|os|as)", r"terapias?", r"terapeuta", r"psicolog(?:o|a|ia)",
        r"programa intensivo", r"programa de dia",
        # Groups a few times a week are the outpatient kind; "grupos de apoyo" (mutual help) are below.
        r"terapias? de grupo", r"grupos?(?! de (?:aa|na|autoayuda|apoyo|alcoholicos|narcoticos|12 pasos|doce pasos))",
        # A program of some hours of the day, or "como este" (like this one, an IOP).
        r"programas? (?:(?:en|por|de) (?:la|las) )?(?:tardes?|noches?|mananas?)", r"programas? de (?:tarde|noche)",
        r"(?:algo|uno|programa) como (?:este|el de ustedes|el suyo)",
    ),
    "mat": (
        r"metadona", r"clinica de metadona", r"naltrexona", r"buprenorfina", r"medicamentos?", r"medicinas?",
        r"tratamiento asistido con medicamentos", r"disulfiram",
    ),
    "other": (
        r"alcoholicos anonimos", r"narcoticos anonimos", r"(?:12|doce) pasos",
        r"grupos? de (?:aa|na|autoayuda|apoyo|alcoholicos|narcoticos|12 pasos|doce pasos)", r"juntas",
        r"reuniones", r"casa de recuperacion", r"vivienda sobria", r"casa sobria",
    ),
}
PRIOR_TREATMENT_NONE: Tuple[str, ...] = (
    r"nunca", r"jamas", r"es la primera vez", r"primera vez", r"todavia no", r"aun no", r"ningun tratamiento",
    r"no ha (?:estado|ido|recibido|tenido)", r"no he (?:estado|ido|recibido|tenido)",
)

# --- insurance --------------------------------------------------------------------------------

# AHCCCS (Arizona's Medicaid, said "access") as typed by ear; "el access" with an article.
INSURANCE_CARRIERS: Dict[str, Tuple[str, ...]] = {
    "Medicaid": (
        r"a?hc{1,4}s{1,3}", r"achc+s+", r"(?:el|la|del|de|con|tengo|tiene) (?:access?|acces+|aces+|axes|akses)",
        r"^(?:acces+|aces+|axes|akses)$", r"(?:seguro|aseguranza|aseguransa|medicaid|plan) del (?:estado|gobierno)",
        r"el del (?:estado|gobierno)", r"el acceso",
    ),
    "Blue Cross Blue Shield": (r"cruz azul",),
}
INSURANCE_NONE: Tuple[str, ...] = (
    r"nel", r"nop", r"ningun[oa]", r"nada", r"(?:no,? )+(?:no|tengo|tiene|tenemos|tienen|ningun[oa]|nada)", r"no tengo", r"no tiene", r"no tenemos", r"no tienen", r"no cuento con",
    r"no cuenta con", r"no contamos con",
)
INSURANCE_NONE_PHRASES: Tuple[str, ...] = (
    r"(?:no|ni) (?:tengo|tiene|tenemos|tienen|cuento con|cuenta con|contamos con)(?: (?:ningun|ninguna))? "
    r"(?:seguro|aseguranza|aseguransa|asegurance|cobertura|seguro medico|plan)",
    r"sin (?:seguro|aseguranza|aseguransa|cobertura)",
    r"(?:perdi|perdio|perdimos|se me vencio|se le vencio|se le acabo|se me acabo|ya no tengo|ya no tiene) "
    r"(?:el|mi|su)? ?(?:seguro|aseguranza|aseguransa)",
)
INSURANCE_SELF_PAY: Tuple[str, ...] = (
    r"(?:voy|vamos|va) a pagar(?: (?:yo|nosotros|el|ella))?", r"pag(?:o|amos|aria|are) yo", r"yo (?:lo )?pag(?:o|aria|are)",
    r"lo pago yo", r"de (?:mi|su|nuestra) bolsa", r"de (?:mi|su|nuestro) bolsillo", r"en efectivo", r"efectivo",
    r"pag(?:o|ar) particular", r"por (?:mi|su|nuestra) cuenta", r"pagar (?:yo|nosotros)",
)
# "Yes, I have insurance" without a name: ask which carrier.
INSURANCE_UNNAMED = (
    r"(?:si+|sip|claro)?[ ,]*(?:(?:si )?(?:tengo|tenemos|tiene|tienen|cuento con|cuenta con)"
    r"(?: (?:seguro|aseguranza|aseguransa|seguro medico|uno|una))?)?"
)
# Words before an insurer's name that are not part of it ("tengo Mercy Care").
INSURANCE_LEAD = (
    r"^(?:(?:tengo|tenemos|tiene|tienen|es|con|mi seguro es|su seguro es|el seguro es|mi aseguranza es"
    r"|su aseguranza es|por medio de|a trav[eé]s de)\s+)?(?:(?:el|la)\s+(?:de\s+)?)?"
)

# --- state -----------------------------------------------------------------------------------

US_STATES: Dict[str, str] = {
    "nuevo mexico": "NM", "nuevo mejico": "NM", "nueva york": "NY", "nueva jersey": "NJ",
    "nuevo hampshire": "NH", "nueva hampshire": "NH", "carolina del norte": "NC", "carolina del sur": "SC",
    "dakota del norte": "ND", "dakota del sur": "SD", "virginia occidental": "WV", "pensilvania": "PA",
    "luisiana": "LA", "misuri": "MO", "misisipi": "MS", "tejas": "TX", "hawai": "HI",
    "arisona": "AZ", "califas": "CA", "distrito de columbia": "DC", "islas virgenes": "VI",
}
CITY_STATES: Dict[str, str] = {
    "fenix": "AZ", "avondale": "AZ", "tolleson": "AZ", "maryvale": "AZ", "somerton": "AZ",
}
# Mexican places whose names hold a US state's: never the state.
NOT_US_PLACES = r"\b(?:baja california(?: sur)?|san luis rio colorado|rio colorado|ciudad de mexico|estado de mexico)\b"

# --- best time to call -------------------------------------------------------------------------

# "mañana" is both "morning" and "tomorrow". Asked for a time of day, "mañana" by itself
# (or "en/por/de la mañana", "las mañanas") is the morning; with another time of day
# it is tomorrow ("mañana en la tarde": the afternoon), and so it is after a verb
# ("llámeme mañana": tomorrow, no time given, asked again as the English "tomorrow").
# The promise that follows names the day and hours, so a caller who meant tomorrow hears it.
MORNING_ALONE = r"^(?:en la |por la |de )?manana(?:\s+(?:por favor|esta bien|gracias|temprano))?$"
TOMORROW = r"\b(?:pasado )?manana(?=\s+(?:(?:en|por|a|de)\s+la\s+)?(?:tarde|noche|temprano|a las|despues|antes|como a las|entre|cualquier|todo el dia))"
BEST_TIME_ASAP: Tuple[str, ...] = (
    r"lo (?:mas )?(?:antes|pronto|rapido) (?:posible|que (?:puedan|se pueda))", r"lo mas pronto", r"lo mas rapido",
    r"cuanto antes", r"en cuanto (?:puedan|pueda|se pueda)", r"urgente", r"es urgente", r"de inmediato",
    r"inmediatamente", r"ahora mismo", r"ahorita mismo", r"en este momento", r"ya mismo", r"rapido",
)
# "ya" alone: "ya" inside a sentence is "already" ("ya en la tarde").
ASAP_WHOLE = r"^(?:ya|ya ya|ya por favor|ya si se puede|de una vez)$"
BEST_TIME_WINDOWS: Dict[str, Tuple[str, ...]] = {
    "morning": (
        r"(?:en|por|de) la manana", r"(?:en|por) las mananas", r"las mananas", r"mananas", r"de manana",
        r"(?:la )?mananita", r"temprano", r"antes (?:del|de) mediodia", r"antes de comer", r"madrugada",
    ),
    # "tarde" is also "late": "más tarde" is later, not the afternoon.
    "afternoon": (
        r"(?:en|por|a) la tarde", r"(?:en|por) las tardes", r"(?<!mas )(?<!muy )(?<!ya )(?<!un poco )tardes?(?! en la noche)",
        r"(?:al )?mediodia", r"(?:la )?tardecita", r"despues de (?:comer|la comida|almorzar|el almuerzo)", r"a la hora de la comida",
    ),
    "evening": (
        r"(?:en|por) la noche", r"(?:en|por) las noches", r"noches?", r"de noche", r"esta noche", r"(?:la )?nochecita",
        r"despues del trabajo", r"saliendo del trabajo", r"despues de (?:la cena|cenar)", r"ya tarde",
        r"tarde en la noche",
    ),
}
BEST_TIME_ANYTIME: Tuple[str, ...] = (
    r"(?:a )?cualquier (?:hora|momento)", r"cuando sea", r"cuando (?:quieran|quiera|puedan|gusten|guste)",
    r"a la hora que sea", r"no importa", r"da igual", r"todo el dia", r"a toda hora", r"lo que sea",
    r"cualquiera", r"la que sea",
)
BEST_TIME_SOON: Tuple[str, ...] = (r"hoy", r"hoy mismo", r"ahorita", r"ahora", r"pronto")
# "de la tarde" / "de la noche" after a clock hour make it p.m.; "de la mañana" a.m.
CLOCK_PM = r"(\d{1,2}(?::\d{2})?)\s*(?:de|en|por) la (?:tarde|noche)"
CLOCK_AM = r"(\d{1,2}(?::\d{2})?)\s*(?:de|en|por) la (?:manana|madrugada)"
# A bare hour after these is a time of day: "después de las 5", "a las 3", "como a las 10".
BARE_HOUR_LEAD = (
    r"despues de las?|antes de las?|como a las?|a eso de las?|tipo|a las?|desde las?|entre las?|hasta las?"
    r"|por ahi de las?|pasadas las?|de las?|de(?=\s+\d{1,2}\s+a\b)"
)
HOUR_WORDS: Dict[str, int] = {
    "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9,
    "diez": 10, "once": 11, "doce": 12,
}

# --- contact by call, voicemail or text -------------------------------------------------------------

CHANNEL_WORDS: Dict[str, Tuple[str, ...]] = {
    "call": (r"llamadas?", r"llam(?:ar|arme|arle|en|e|eme|enme|ada)", r"marqu(?:en|e)", r"marcar(?:me)?"),
    # A "mensaje" one leaves is a voicemail; one sent is a text. "mensaje" alone is either: not counted.
    "voicemail": (
        r"mensajes? de voz", r"buzon(?: de voz)?", r"(?:dejar|dejen|deje|dejarme|dejenme|dejarle|dejenle|dejan|dejaran)"
        r"(?: (?:un|el|algun))? (?:mensaje|recado|mensajito)s?(?: de voz)?", r"recados?", r"grabacion",
        r"de voz",  # "solo de voz", answering "¿un mensaje de voz o de texto?"
    ),
    "text": (
        r"mensajes? de texto", r"textos?", r"text(?:ear|een|eenme|eeme|eame)", r"mensajitos?",
        r"(?:mandar|manden|mande|mandeme|mandenme|mandarme|envie|enviar|envien|envienme|escriban|escribanme|escribir)"
        r"(?:me|le)?(?: (?:un|el|algun))? (?:mensaje|msj|texto|sms)s?(?! de voz)",
    ),
}
ONLY = r"solo|solamente|nomas|unicamente|nada mas"
# "Mensajes" by itself is a voicemail or a text: it answers for both only with a yes or no of
# its own ("mensajes sí, llamadas no", "nada de mensajes").
MESSAGES_EITHER = r"mensajes?(?! de (?:voz|texto))"
# A yes or no said after the way of contact it is about: "mensajes de texto no", "buzón de voz no,
# por favor", "llamadas sí". Only when it ends the clause: "texto no hay problema" is a yes.
CHANNEL_AFTER_NO = r"no+|nel|nop|tampoco|nunca|jamas"
CHANNEL_AFTER_YES = r"si+|sip|claro|ok|okey|esta bien|sale|va"
CHANNEL_AFTER_END = r"y|pero|por favor|gracias|porfa|mejor"
# "Yes, but..." at the start of a permissions answer.
YES_START = r"si+|claro|ok|okey|sale|dale|esta bien|de acuerdo|por supuesto"

# --- suicide-risk screen -----------------------------------------------------------------------

SCREEN_DECLINE_WORDS: Tuple[str, ...] = (
    r"prefiero no (?:decir(?:lo|le)?|contestar|responder|hablar de (?:eso|esto)|compartir(?:lo)?)",
    r"no quiero (?:decir(?:lo)?|contestar(?:le)?|responder|hablar(?: de (?:eso|esto|ello)| del tema)?)",
    r"no (?:le )?voy a (?:contestar|responder|decir)", r"no me siento comod[oa](?: (?:contestando|hablando de eso))?",
    r"(?:eso )?es privado", r"sin comentarios", r"^(?:paso|saltar|siguiente)[\s.!]*$",
)
# Another time than the past month, or neither yes nor no.
SCREEN_UNCLEAR_WORDS: Tuple[str, ...] = (
    r"ya no", r"antes si", r"hace (?:mucho|anos|tiempo)", r"en el pasado", r"cuando (?:era|estaba) (?:joven|chic[oa]|nin[oa]|adolescente)",
    r"(?:ahorita|ahora) no", r"no realmente", r"no exactamente", r"tal ?vez", r"quizas?", r"puede ser",
    r"depende", r"a lo mejor", r"no (?:estoy|estoy muy) segur[oa]",
)
SCREEN_NO_WORDS: Tuple[str, ...] = (
    r"(?:no|nunca|jamas|ni)(?: (?:lo|la|me|se|le|les|nos))?(?: (?:he|ha|han|hemos|has))?(?: (?:\w+ado|\w+ido|tenido|sentido))?",
    r"no creo", r"creo que no", r"para nada", r"nada(?: de eso| asi)?", r"nel", r"nop", r"negativo",
    r"ni de chiste", r"no,? nunca", r"nunca jamas",
)
SCREEN_YES_WORDS: Tuple[str, ...] = (
    r"si+", r"sip", r"simon", r"claro", r"a ?veces", r"de vez en cuando", r"algunas veces", r"unas veces",
    r"un poco", r"poquito", r"un poquito", r"mas o menos", r"lo he pensado", r"he pensado", r"lo pienso",
    r"lo he sentido", r"me he sentido", r"he tenido", r"seguido", r"mucho", r"todos los dias", r"diario",
    r"todo el tiempo", r"ultimamente", r"una vez", r"un par de veces", r"varias veces", r"creo que si", r"algo",
    r"casi siempre", r"siempre", r"hay veces", r"hay dias",
)
# A yes with a no-word in it: a wish to die said outright ("ya no quiero vivir"), or
# "hardly ever" (any endorsement counts, as the screener scores it).
SCREEN_ENDORSE = (
    r"\b(?:casi nunca|pocas veces|muy pocas veces|rara vez)\b"
    # Said of oneself or, on the question about a loved one, of them ("ya no quiere vivir así");
    # not where to live ("no quiere vivir con nosotros").
    r"|\bno (?:quiero|quiere|quieren|quisiera|quisieran) (?:vivir|seguir viviendo|despertar(?:me|se)?)\b"
    r"(?!\s+(?:con|aqui|alla|ahi|cerca|junto|lejos)\b)"
    r"|\b(?:me quiero|se quiere|se quieren|quisiera|quiero|quiere|quieren|quisiera mejor)"
    r" (?:morir(?:me|se)?|matar(?:me|se)|desaparecer|estar muert[oa])\b"
    r"|\bmejor muert[oa]\b|\bquitar(?:me|se) la vida\b"
    # The screener's own words: "to go to sleep and not wake up".
    r"|\b(?:dormir(?:me|se)?|acostar(?:me|se))\s+y\s+(?:ya\s+)?(?:no|nunca)\s+(?:volver a\s+)?despertar(?:me|se)?\b"
    r"|\bno (?:volver a )?despertar(?:me|se)? (?:nunca )?mas\b"
)
# Words after "pero" that move a "yes, but..." out of the past month ("sí, pero no este mes"):
# then it is not simply a yes (see parsers.parse_suicide_screen).
SCREEN_PAST_MONTH = (
    r"este mes", r"(?:el )?(?:ultimo|pasado) mes", r"(?:el )?mes pasado", r"ultimamente", r"ahorita", r"ahora",
    r"ya no", r"hace (?:tiempo|mucho|anos|meses)", r"recientemente", r"(?:el )?ano pasado",
)

# "I've thought about it but I wouldn't do it": the thought is the answer; a denial of
# acting on it is not a "no" to the question asked (taken out before judging).
SCREEN_INTENT_DENIAL = (
    r"\b(?:pero|aunque)\s+(?:no|nunca|jamas)\s+(?:lo|me)\s+(?:haria|hare|haria nunca|voy a hacer|mataria|matare)\b"
    r"|\bbut\s+i\s+(?:would|will|'?d)\s*(?:never|not|n'?t)\s+(?:do it|act on it|do that|go through with it)\b"
    r"|\bbut\s+i\s+(?:wouldn'?t|won'?t)\s+(?:do it|act on it|do that|go through with it)\b"
)

# --- phone numbers said in words -----------------------------------------------------------------

DIGIT_WORDS: Dict[str, int] = {
    "cero": 0, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
    "ocho": 8, "nueve": 9,
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
}
TEEN_WORDS: Dict[str, int] = {
    "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14, "quince": 15, "dieciseis": 16,
    "diecisiete": 17, "dieciocho": 18, "diecinueve": 19, "veinte": 20, "veintiuno": 21, "veintiun": 21,
    "veintidos": 22, "veintitres": 23, "veinticuatro": 24, "veinticinco": 25, "veintiseis": 26,
    "veintisiete": 27, "veintiocho": 28, "veintinueve": 29,
}
TENS_WORDS: Dict[str, int] = {
    "treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60, "setenta": 70, "ochenta": 80, "noventa": 90,
}
HUNDREDS_WORDS: Dict[str, int] = {
    "cien": 100, "ciento": 100, "doscientos": 200, "trescientos": 300, "cuatrocientos": 400, "quinientos": 500,
    "seiscientos": 600, "setecientos": 700, "ochocientos": 800, "novecientos": 900,
}
# "Este mismo número": the number they write from, which only the SMS channel knows.
THIS_NUMBER_PHRASES = frozenset({
    "este", "este numero", "este mismo", "este mismo numero", "a este numero", "al mismo", "al mismo numero",
    "el mismo", "el mismo numero", "mismo numero", "a este", "este cel", "este celular", "este telefono",
    "a este mismo", "a este mismo numero", "de este numero", "el numero de donde escribo",
    "el numero desde el que escribo", "el numero del que le escribo", "este es mi numero", "es este",
    "es este numero", "el que tienen", "el que ya tienen", "el mismo de aqui",
})
# "El mismo de donde le escribo", "el número desde el que les mando mensajes": the number written from.
THIS_NUMBER_FROM = (
    r"(?:(?:a |al |el |del )?(?:mismo|numero|mismo numero|cel|celular|telefono)|(?:a |de )?este(?: mismo)?(?: numero)?)"
    r"(?: (?:de|desde))? (?:donde|el que|del que|de donde|desde donde|desde el que) (?:le |les |te )?"
    r"(?:escribo|estoy escribiendo|mando (?:el |los )?(?:mensajes?|textos?)|texteo|envio (?:el |los )?mensajes?)"
    r"(?: (?:ahorita|ahora))?"
)

# --- messages that are not answers -------------------------------------------------------------------

# Whom a caller asks to talk with.
_A_PERSON = (
    r"(?:alguien|una persona|un humano|un ser humano|una persona real|un operador|una operadora|un agente|"
    r"un representante|una representante|un consejero|una consejera|una enfermera|un doctor|admisiones|el equipo|"
    r"alguien de verdad|alguien real|alguien en espanol)"
)
HUMAN_REQUEST: Tuple[str, ...] = (
    rf"(?:hablar|platicar|comunicarme|comunicar|hablarle) con {_A_PERSON}",
    # "Eso mejor lo hablo con una persona": what they would rather say to a person. Only with
    # "lo" ("it"): "hablo con un consejero cada semana" answers the question about treatment.
    rf"(?:lo|eso) (?:hablo|hablaria|platico|platicaria) con {_A_PERSON}",
    rf"(?:hablarlo|platicarlo) con {_A_PERSON}",
    r"persona (?:real|de verdad|de carne y hueso|viva)", r"alguien (?:real|de verdad)", r"(?:un|una) operador[a]?",
    r"operador[a]?", r"un agente", r"un representante", r"un humano", r"un ser humano",
    r"(?:paseme|pasame|comuniqueme|comunicame|conecteme) con (?:alguien|una persona|un operador|un humano)",
    r"no (?:quiero|me gusta) (?:hablar|escribir)(?:le)? (?:con|a) (?:un|una) (?:robot|maquina|bot|computadora)",
    r"prefiero hablar con (?:alguien|una persona)", r"quiero (?:una persona|un humano|alguien real)",
)
ABOUT_THE_BOT: Tuple[str, ...] = (
    r"(?:eres|es usted|usted es|es esto|esto es|eres tu|es) (?:un |una )?(?:persona|humano|robot|bot|maquina)",
    r"(?:estoy|estamos) (?:hablando|escribiendo|chateando) con (?:un |una )?(?:persona|humano|robot|bot|maquina)",
)
# Patterns for the whole message (after fillers), about the conversation only.
# "ya no" by itself is NOT here: it is how people say "not any more", an answer to the
# questions about use and the screen. "ya no quiero seguir" is, and so is a life-or-death
# reading of it: the crisis detector, which runs after this, keeps the final word.
STOP_REQUEST: Tuple[str, ...] = (
    r"olvid(?:elo|alo|enlo|ese|ate)", r"dejelo asi", r"dejalo asi", r"dejemoslo asi", r"dejelo", r"cancel(?:ar|a|e|en)",
    r"ya basta", r"basta", r"ya estuvo", r"alto", r"ya no quiero seguir(?: con esto)?",
    r"(?:ya )?no quiero (?:seguir|continuar|contestar(?:le)?|responder(?:le)?|hacer esto)"
    r"(?: (?:con esto|con las preguntas|mas|ya|preguntas|las preguntas|nada))*",
    r"ya no quiero contestar(?:le)?(?: mas)?", r"ya no mas(?: preguntas)?", r"no mas preguntas", r"ya no quiero",
    # Not "ya me voy" (I'm going): a farewell that can be a suicidal one.
    r"no puedo (?:ahorita|ahora|en este momento)", r"me tengo que ir", r"tengo que irme", r"luego (?:le|les) (?:hablo|llamo|escribo)",
    r"despues (?:le|les) (?:hablo|llamo|escribo)", r"(?:ahorita|ahora) no", r"mejor (?:luego|despues|otro dia)",
    r"(?:tal vez|quizas?) (?:luego|despues|mas tarde)", r"en otro momento", r"cambie de opinion",
    r"ya no quiero hacer esto", r"no quiero hacer esto", r"dejeme en paz", r"dejame en paz",
)
# Why they stop, after the wish to stop: "olvídelo, no estoy listo".
STOP_REASON: Tuple[str, ...] = (
    r"(?:todavia |aun )?no estoy (?:list[oa]|preparad[oa])(?: todavia| aun| para esto)?", r"no es (?:buen|el) momento",
)
STOP_FILLER: Tuple[str, ...] = (
    r"okey", r"oiga", r"perdon", r"perdone", r"disculpe", r"sabe que", r"sabes que", r"mire", r"la verdad", r"mejor",
    r"pues", r"este", r"gracias", r"por favor", r"adios", r"por ahora", r"por hoy",
)
STALLING: Tuple[str, ...] = (
    r"dejeme (?:ver|checar|buscar|revisar|preguntar|pensar)", r"dejame (?:ver|checar|buscar|revisar|preguntar|pensar)",
    r"deje (?:veo|busco|checo|reviso)", r"deja (?:veo|busco|checo|reviso)", r"un momento", r"un momentito",
    r"un segundo", r"un segundito", r"espere(?:me)?", r"esperame", r"espera", r"permitame", r"permiteme",
    r"ahorita (?:le digo|lo busco|le paso|la busco|lo checo|le aviso)", r"aguante", r"aguanta", r"tantito",
    r"un ratito", r"momento",
)
STALLING_LEAD = r"ok|okey|este|eh|pues|si|a ver|haber"
# Openings of a question. Kept narrow where the same words open an answer: "cuando sea"
# and "cuanto antes" answer the best time, "como a las 5" too, "quién sabe" is a don't-know.
QUESTION_START: Tuple[str, ...] = (
    r"por que", r"para que (?:quieren|quiere|necesitan|necesita|es|sirve|preguntan|lo|la|le|me)",
    r"(?:que|q|k) (?:es|son|significa|pasa|tal si|tipo|clase|hago|hacen|necesito|ofrecen|horario|dias|quiere decir"
    r"|incluye|cubre|seguros|servicios|tengo que|debo|cuesta|precio)",
    r"como (?:funciona|es|se|le hago|hago|puedo|pago|me inscribo|consigo|entro|llego|son|saben|sabe)",
    r"cuant[oa]s?(?! antes)", r"cuando (?:me|van|vamos|empieza|empiezo|abren|cierran|es|son|puedo|pueden|llaman|hay)",
    r"donde(?! vivo)", r"quien(?! sabe)", r"cuales?", r"aceptan", r"tienen", r"ofrecen",
    r"hay (?!veces|dias)", r"es (?:gratis|confidencial|caro|necesario|obligatorio|privado)",
    r"ustedes (?:aceptan|tienen|dan|ofrecen|hacen|cobran)", r"se puede", r"me pueden (?:decir|explicar)",
)
# Accented question words (typed with the accent) open a question whatever follows,
# except idioms that are answers ("cómo no": of course; "qué bueno").
ACCENTED_QUESTION = r"^(?:qué|cómo|cuánt[oa]s?|cuándo|dónde|quién|cuál(?:es)?|por qué|para qué)(?!\w)"
NOT_A_QUESTION = r"^(?:como no|que bueno|que bien|que pena|cuanto antes|cuando sea|cuando puedan|quien sabe)\b"
BARE_REPLY_FILLERS = (
    r"gracias|muchas gracias|por favor|pues|ok|este|bueno|haha+|jaja+|ja+|lol|lmao|for sure|i'?m good|im good|"
    r"all good|good|cool|thx|ty|ttyl|plz|kk|oki|okey|bye+|goodbye|good ?night|cya|see ya|adios|"
    r"(?:that'?s|thats|that|it'?s|its|is) (?:fine|ok|okay|good)|that works|please do|i'?m safe|im safe|estoy bien"
)
