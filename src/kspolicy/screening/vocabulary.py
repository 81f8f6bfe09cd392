"""The words screening treats specially: legal forms, generic and structural words, places.

Every list here is data, compared token by token after folding: a name is never turned
into a pattern. Words are written as they read; `names.fold_token` folds them once, at
import, the same way as the tokens of a name.
"""

from __future__ import annotations

# Legal forms, as token sequences. Those that are also ordinary words or initials
# (`as`, `se`, `co`, `sa`, ...) count only as the name's first or last words.
LEGAL_FORMS_ANYWHERE = """
ltd | limited | llc | l l c | inc | incorporated | corp | corporation | gmbh | mbh | ag | kg
gmbh and co kg | gmbh und co kg | plc | llp | nv | bv | srl | spa | sarl | sas | sprl | bvba
oy | oyj | aps
kk | kabushiki kaisha | kabushikigaisha | pte | pty | pvt | private limited | jsc | ojsc | pjsc
cjsc | ooo | oao | zao | pao | ao | tov | sp zoo | spzoo | sro | kft | zrt | doo | bhd | sdn
sdn bhd | tbk | ltda | sa de cv | sapi de cv | limited liability company | public limited company
joint stock company | public joint stock company | open joint stock company
closed joint stock company | limited liability partnership | societe anonyme
aktiengesellschaft | gesellschaft mit beschrankter haftung | sociedad anonima
sociedad limitada | societa per azioni | besloten vennootschap | naamloze vennootschap
obshchestvo s ogranichennoy otvetstvennostyu | aktsionernoe obshchestvo
publichnoe aktsionernoe obshchestvo | youxian gongsi | gufen youxian gongsi
youxian zeren gongsi | zhushi huishe | co ltd | company limited | pte ltd | pvt ltd
gesellschaft mbh | gesellschaft mit beschrankter haftung | kommanditgesellschaft | kgaa
offene handelsgesellschaft | ohg | gbr | korlatolt felelossegu tarsasag | nyrt | zrt
zartkoruen mukodo reszvenytarsasag | spolka z ograniczona odpowiedzialnoscia | spolka akcyjna
societe a responsabilite limitee | societe par actions simplifiee | sociedade anonima
sociedad de responsabilidad limitada | sociedade limitada | aktiebolag | aktieselskab
aksjeselskap | anpartsselskab | osakeyhtio | anonim sirketi | limited sirketi | ltd sti
dionicko drustvo | drustvo s ogranicenom odgovornoscu | eood | ood | ead | fgup | gup
otkrytoe aktsionernoe obshchestvo | zakrytoe aktsionernoe obshchestvo | berhad
sendirian berhad | public company limited | kabushiki gaisha | godo kaisha | yugen kaisha
jusikhoesa | chusikhoesa | eireli | sagl | teoranta
"""
LEGAL_FORMS_AT_EDGE = """
co | company | as | asa | ab | se | sa | ag | kg | lp | nl | sl | sc | spol | gongsi | e v | ev
dd | ad | pt | cv | gk | ug | eg | bt | rt | sti | pcl | dac | teo | nao
"""

# German and Dutch write a generic word and a name as one word (`Raiffeisenbank`,
# `Handelsgesellschaft`): a word longer than one of these endings by at least four
# letters is read as two words, so that it meets the name written apart.
COMPOUND_ENDINGS = (
    "gesellschaft",
    "bank",
    "gruppe",
    "holding",
    "technik",
    "werke",
    "industrie",
    "handel",
)

# Chinese legal forms, removed before transliteration (longest first).
LEGAL_FORMS_HAN = ("股份有限公司", "有限责任公司", "有限公司", "株式会社", "公司")

# Korean legal forms in Hangul (주식회사 is 株式會社), removed before transliteration.
LEGAL_FORMS_HANGUL = ("주식회사", "(주)", "유한회사", "유한책임회사")

# Small words that carry no identity in an organisation's name.
STOPWORDS = """
of the and for de du des la le les der die das und fur y e et di del della dei van a an at in
on zu
"""

# Titles of persons, dropped.
HONORIFICS = """
mr mrs ms miss mx dr prof professor sir dame lord lady sheikh shaikh hon rev his her excellency
general gen col colonel
"""

# Particles of persons' names, dropped unless a name has nothing else.
PARTICLES = "bn al el ul bin ibn bint binti ben von van der den de da di du la le"

# Words that say what kind of body something is: they weigh little, and two bodies that
# differ only in them (a university and an institute of one city) are different bodies.
GENERIC = """
university college institute institution academy school polytechnic polytechnical
technology technical science scientific engineering research laboratory center national
state federal public people peoples republic industry industrial industries company
corporation bank insurance trading trade group holding international global service system
electronic electronics communication telecom telecommunication network information
manufacturing machinery equipment energy power oil gas petroleum chemical material metal
steel aerospace aviation aeronautics astronautics defense defence military army navy air
force shipbuilding nuclear medical hospital health pharmaceutical bio biotech foundation
association society council committee ministry department agency bureau office authority
commission development investment capital finance financial resource import export
logistics shipping transport construction product products solution solutions
management enterprise venture partner partners consulting software hardware data digital
new general united first normal key physics mathematics royal concern medicine
marine ocean petrochemical space electric electrical motor automotive instrument
instruments optics optical precision applied advanced semiconductor microelectronic
automation
"""

# Institution-type words: two names whose type words differ name different bodies.
INSTITUTION_TYPES = """
university college institute academy school polytechnic bank insurance hospital foundation
association society council committee ministry agency bureau authority commission laboratory
"""

# Words that name a part of a body: `X Shenzhen Campus`, `X Research Center Munich`.
STRUCTURE = """
branch campus subsidiary division office representative rep graduate school unit plant
factory affiliate regional headquarters hq holding group international europe asia americas
emea apac
"""

# Words an acronym may leave out (`KOMID`: Korea Mining Development Trading Corporation).
ACRONYM_OPTIONAL = """
trading group holding company international
"""

# Places that appear as the qualifier of a campus or subsidiary, and in names. Countries
# (in English and their own languages), regions and cities often seen in such names.
PLACES = """
afghanistan albania algeria argentina armenia australia austria azerbaijan bahrain
bangladesh belarus belgium belgique belgie bolivia bosnia brazil brasil bulgaria cambodia
canada chile china zhongguo colombia croatia cuba cyprus czech czechia denmark danmark
ecuador egypt estonia ethiopia finland suomi france georgia germany deutschland ghana
greece hellas hungary magyarorszag iceland india bharat indonesia iran iraq ireland israel
italy italia japan nippon nihon jordan kazakhstan kenya korea kuwait kyrgyzstan laos latvia
lebanon libya lithuania luxembourg malaysia mexico mexique moldova mongolia montenegro
morocco myanmar nepal netherlands nederland holland new zealand nigeria norway norge oman
pakistan panama peru philippines poland polska portugal qatar romania russia rossiya
saudi arabia serbia singapore slovakia slovenia south africa spain espana sri lanka sudan
sweden sverige switzerland schweiz suisse svizzera syria taiwan tajikistan tanzania
thailand tunisia turkey turkiye turkmenistan uganda ukraine ukraina uae emirates uk gb
britain great england scotland wales usa us america united states uruguay uzbekistan
venezuela vietnam yemen zambia zimbabwe hong kong hongkong macau macao
europe asia africa americas latin middle east
beijing peking shanghai shenzhen guangzhou tianjin chongqing harbin haerbin nanjing wuhan
xian chengdu hangzhou suzhou weihai zhuhai qingdao dalian shenyang changsha hefei jinan
xiamen fuzhou kunming lanzhou taiyuan zhengzhou changchun nanchang guiyang nanning urumqi
hohhot lhasa ningbo wuxi dongguan foshan yantai zibo
zhejiang jiangsu guangdong shandong henan hebei hubei hunan sichuan fujian anhui jiangxi
liaoning jilin heilongjiang shaanxi shanxi yunnan guizhou gansu qinghai hainan guangxi
ningxia xinjiang xizang tibet
moscow moskva saint petersburg novosibirsk yekaterinburg kazan minsk kyiv kiev kharkiv
tehran dubai abu dhabi riyadh doha istanbul ankara
london paris berlin munich munchen frankfurt hamburg amsterdam rotterdam brussels antwerp
vienna wien zurich geneva geneve milan milano rome roma madrid barcelona lisbon stockholm
oslo copenhagen helsinki warsaw prague budapest dublin
tokyo osaka seoul singapore mumbai delhi bangalore bengaluru chennai hyderabad kolkata
sydney melbourne toronto montreal vancouver new york california texas boston chicago
"""

# Abbreviations of words in organisations' names, spelled out.
ABBREVIATIONS = {
    "univ": "university",
    "uni": "university",
    "inst": "institute",
    "instit": "institute",
    "tech": "technology",
    "techn": "technology",
    "technol": "technology",
    "technologies": "technology",
    "natl": "national",
    "nat": "national",
    "intl": "international",
    "int": "international",
    "sci": "science",
    "eng": "engineering",
    "engg": "engineering",
    "acad": "academy",
    "dept": "department",
    "ctr": "center",
    "cntr": "center",
    "centre": "center",
    "labs": "laboratory",
    "lab": "laboratory",
    "laboratories": "laboratory",
    "mfg": "manufacturing",
    "svc": "service",
    "svcs": "service",
    "assoc": "association",
    "assn": "association",
    "grp": "group",
    "hldg": "holding",
    "hldgs": "holding",
    "holdings": "holding",
    "bros": "brothers",
    "mgmt": "management",
    "telecommunication": "telecom",
    "telecommunications": "telecom",
    "aeronautical": "aeronautics",
    "astronautical": "astronautics",
    "polytech": "polytechnic",
    "polytechnical": "polytechnic",
    "electronics": "electronic",
    # Adjectives read as their noun: `Industrial Group` and `Industries Group` are one
    # name, as `Lumen Optical` and `Lumen Optics` are.
    "industrial": "industry",
    "optical": "optic",
    "scientific": "science",
    "electrical": "electric",
    "financial": "finance",
    "defence": "defense",
    "st": "saint",
    "mt": "mount",
    "ft": "fort",
}

# The generic words of organisations' names in other languages (and in Japanese and
# Russian romanisation), read as their English word: `Universiteit Gent` is `Ghent
# University`, `Grupo Andino de Inversiones` is `Andino Investment Group`. Only words
# that say what kind of body something is: a distinctive word is never translated
# (a list gives such names as aliases).
TRANSLATIONS = {
    **dict.fromkeys(
        "universiteit universitat universitaet universite universidad universidade "
        "universita uniwersytet universitet universitatea univerzita daigaku".split(),
        "university",
    ),
    **dict.fromkeys("instituto institut istituto instytut kenkyusho".split(), "institute"),
    **dict.fromkeys("akademie academia akademiya academie".split(), "academy"),
    **dict.fromkeys("politecnico politechnika politekhnicheskiy".split(), "polytechnic"),
    **dict.fromkeys("grupo gruppe groupe gruppo grupa".split(), "group"),
    **dict.fromkeys("inversiones inversion investissement investimenti".split(), "investment"),
    **dict.fromkeys("minera minero mineria bergbau".split(), "mining"),
    **dict.fromkeys("corporacion corporacao korporatsiya korporatsiia".split(), "corporation"),
    **dict.fromkeys("compania compagnie companhia kompaniya".split(), "company"),
    **dict.fromkeys("koninklijke konigliche kongelige".split(), "royal"),
    **dict.fromkeys("nationale nacional nazionale natsionalnyy".split(), "national"),
    **dict.fromkeys("banco banque ginko".split(), "bank"),
    **dict.fromkeys("industrias industrie industria industriya kogyo".split(), "industry"),
    **dict.fromkeys("comercial commerciale handel handels shoji".split(), "trading"),
    **dict.fromkeys("internacional internationale internazionale".split(), "international"),
    **dict.fromkeys("tecnologia technologie tekhnologiya tekhnologii".split(), "technology"),
    **dict.fromkeys("ingenieria ingenierie".split(), "engineering"),
    **dict.fromkeys("energia energie".split(), "energy"),
    **dict.fromkeys("servicios".split(), "service"),
    **dict.fromkeys("ciencia ciencias wissenschaft wissenschaften".split(), "science"),
    **dict.fromkeys("kontsern konzern".split(), "concern"),
    **dict.fromkeys("denki elektrik".split(), "electric"),
    **dict.fromkeys("denshi elektronik".split(), "electronic"),
    "jukogyo": "heavy industry",
}

# Chinese words of organisations' names with their usual translation, applied to the
# Chinese script and to its pinyin, so that 大学 and Daxue both read `university`.
HAN_WORDS = {
    "大学": ("daxue", "university"),
    "学院": ("xueyuan", "institute"),
    "研究所": ("yanjiusuo", "institute"),
    "研究院": ("yanjiuyuan", "academy"),
    "科学院": ("kexueyuan", "academy science"),
    "银行": ("yinhang", "bank"),
    "集团": ("jituan", "group"),
    "控股": ("konggu", "holding"),
    "科技": ("keji", "science technology"),
    "技术": ("jishu", "technology"),
    "工程": ("gongcheng", "engineering"),
    "航空": ("hangkong", "aeronautics"),
    "航天": ("hangtian", "astronautics"),
    "电子": ("dianzi", "electronic"),
    "国防": ("guofang", "national defense"),
    "中国": ("zhongguo", "china"),
    "分公司": ("fengongsi", "branch"),
    "分校": ("fenxiao", "campus"),
    "校区": ("xiaoqu", "campus"),
    "工业": ("gongye", "industry"),
    # Japanese words in kanji, with their Japanese reading (anyascii reads kanji as
    # Mandarin): 電気 is `denki`, not `dianqi`.
    "電気": ("denki", "electric"),
    "電機": ("denki", "electric"),
    "工業": ("kogyo", "industry"),
    "重工業": ("jukogyo", "heavy industry"),
    "銀行": ("ginko", "bank"),
}
