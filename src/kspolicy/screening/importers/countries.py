"""Country names as the UK list writes them, to ISO 3166-1 alpha-2 codes.

The UK list names countries in words ("Russia", "Iran", "Korea, North"); list files keep
codes, as cases do. The table holds the ISO short names, the UK's own usage and common
variants; a name it does not know is reported, never guessed.
"""

from __future__ import annotations

import unicodedata

_TABLE = """
AF Afghanistan|AX Aland Islands|AL Albania|DZ Algeria|AS American Samoa|AD Andorra|AO Angola
AI Anguilla|AQ Antarctica|AG Antigua and Barbuda|AR Argentina|AM Armenia|AW Aruba|AU Australia
AT Austria|AZ Azerbaijan|BS Bahamas|BS The Bahamas|BH Bahrain|BD Bangladesh|BB Barbados
BY Belarus|BE Belgium|BZ Belize|BJ Benin|BM Bermuda|BT Bhutan|BO Bolivia
BA Bosnia and Herzegovina|BW Botswana|BR Brazil|IO British Indian Ocean Territory
VG British Virgin Islands|BN Brunei|BN Brunei Darussalam|BG Bulgaria|BF Burkina Faso
BI Burundi|CV Cape Verde|CV Cabo Verde|KH Cambodia|CM Cameroon|CA Canada|KY Cayman Islands
CF Central African Republic|TD Chad|CL Chile|CN China|CX Christmas Island|CC Cocos Islands
CO Colombia|KM Comoros|CG Congo|CG Republic of the Congo|CG Congo (Republic)
CD Democratic Republic of the Congo|CD Congo (Democratic Republic)|CD DRC|CK Cook Islands
CR Costa Rica|CI Cote d'Ivoire|CI Ivory Coast|HR Croatia|CU Cuba|CW Curacao|CY Cyprus
CZ Czech Republic|CZ Czechia|DK Denmark|DJ Djibouti|DM Dominica|DO Dominican Republic
EC Ecuador|EG Egypt|SV El Salvador|GQ Equatorial Guinea|ER Eritrea|EE Estonia|SZ Eswatini
SZ Swaziland|ET Ethiopia|FK Falkland Islands|FO Faroe Islands|FJ Fiji|FI Finland|FR France
GF French Guiana|PF French Polynesia|GA Gabon|GM Gambia|GM The Gambia|GE Georgia|DE Germany
GH Ghana|GI Gibraltar|GR Greece|GL Greenland|GD Grenada|GP Guadeloupe|GU Guam|GT Guatemala
GG Guernsey|GN Guinea|GW Guinea-Bissau|GY Guyana|HT Haiti|VA Holy See|VA Vatican City
HN Honduras|HK Hong Kong|HU Hungary|IS Iceland|IN India|ID Indonesia|IR Iran
IR Iran (Islamic Republic of)|IQ Iraq|IE Ireland|IM Isle of Man|IL Israel|IT Italy
JM Jamaica|JP Japan|JE Jersey|JO Jordan|KZ Kazakhstan|KE Kenya|KI Kiribati
KP North Korea|KP Korea, North|KP Democratic People's Republic of Korea|KP DPRK
KR South Korea|KR Korea, South|KR Republic of Korea|XK Kosovo|KW Kuwait|KG Kyrgyzstan
LA Laos|LA Lao People's Democratic Republic|LV Latvia|LB Lebanon|LS Lesotho|LR Liberia
LY Libya|LI Liechtenstein|LT Lithuania|LU Luxembourg|MO Macao|MO Macau|MG Madagascar
MW Malawi|MY Malaysia|MV Maldives|ML Mali|MT Malta|MH Marshall Islands|MQ Martinique
MR Mauritania|MU Mauritius|YT Mayotte|MX Mexico|FM Micronesia|MD Moldova|MC Monaco
MN Mongolia|ME Montenegro|MS Montserrat|MA Morocco|MZ Mozambique|MM Myanmar|MM Burma
NA Namibia|NR Nauru|NP Nepal|NL Netherlands|NL The Netherlands|NC New Caledonia
NZ New Zealand|NI Nicaragua|NE Niger|NG Nigeria|NU Niue|MK North Macedonia|MK Macedonia
MP Northern Mariana Islands|NO Norway|OM Oman|PK Pakistan|PW Palau|PS Palestine
PS Occupied Palestinian Territories|PS Palestinian Territories|PA Panama
PG Papua New Guinea|PY Paraguay|PE Peru|PH Philippines|PN Pitcairn|PL Poland|PT Portugal
PR Puerto Rico|QA Qatar|RE Reunion|RO Romania|RU Russia|RU Russian Federation|RW Rwanda
BL Saint Barthelemy|SH Saint Helena|KN Saint Kitts and Nevis|LC Saint Lucia|MF Saint Martin
PM Saint Pierre and Miquelon|VC Saint Vincent and the Grenadines|WS Samoa|SM San Marino
ST Sao Tome and Principe|SA Saudi Arabia|SN Senegal|RS Serbia|SC Seychelles
SL Sierra Leone|SG Singapore|SX Sint Maarten|SK Slovakia|SI Slovenia|SB Solomon Islands
SO Somalia|ZA South Africa|SS South Sudan|ES Spain|LK Sri Lanka|SD Sudan|SR Suriname
SE Sweden|CH Switzerland|SY Syria|SY Syrian Arab Republic|TW Taiwan|TJ Tajikistan
TZ Tanzania|TH Thailand|TL Timor-Leste|TL East Timor|TG Togo|TK Tokelau|TO Tonga
TT Trinidad and Tobago|TN Tunisia|TR Turkey|TR Turkiye|TM Turkmenistan
TC Turks and Caicos Islands|TV Tuvalu|UG Uganda|UA Ukraine|AE United Arab Emirates|AE UAE
GB United Kingdom|GB UK|GB Great Britain|US United States|US United States of America
US USA|UY Uruguay|UZ Uzbekistan|VU Vanuatu|VE Venezuela|VN Vietnam|VN Viet Nam
WF Wallis and Futuna|EH Western Sahara|YE Yemen|ZM Zambia|ZW Zimbabwe
"""


def _key(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().replace(".", " ").split())


CODES: dict[str, str] = {
    _key(item[3:]): item[:2] for row in _TABLE.strip().splitlines() for item in row.split("|")
}


def country_code(name: str) -> str | None:
    """The ISO code of a country named in words (or already a code); None if unknown."""
    stripped = name.strip()
    known = CODES.get(_key(stripped))
    if known is None and len(stripped) == 2 and stripped.isalpha() and stripped.isascii():
        return stripped.upper()
    return known
