"""Generate include/newsingest/data/geo_aliases_foreign.tsv (German, French, Spanish
adjectives, inhabitant nouns and exonyms of capitals; German genitives and inflected
names; Polish declensions of country names, adjectives and inhabitant nouns; Italian
adjectives).

Usage: .venv/bin/python scripts/gen_geo_foreign.py include/newsingest/data/geo_aliases_foreign.tsv
"""
import sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "include"))
from newsingest.gazetteer import (  # noqa: E402
    ALIASES_FILE, _auto_entries, load_aliases, load_rules, normalise)

# German adjective stems (inflected forms only: the bare stem is also the language adverb)
DE_ADJ = dict(DE="deutsch", US="amerikanisch us-amerikanisch", GB="britisch", FR="französisch",
  IT="italienisch", ES="spanisch", RU="russisch", UA="ukrainisch", CN="chinesisch",
  JP="japanisch", KR="südkoreanisch", KP="nordkoreanisch", IN="indisch", PK="pakistanisch",
  IR="iranisch", IQ="irakisch", SY="syrisch", IL="israelisch", PS="palästinensisch",
  LB="libanesisch", TR="türkisch", SA="saudi-arabisch saudisch", EG="ägyptisch",
  AF="afghanisch", CA="kanadisch", MX="mexikanisch", BR="brasilianisch",
  AR="argentinisch", VE="venezolanisch", CO="kolumbianisch", CU="kubanisch",
  NG="nigerianisch", ZA="südafrikanisch", KE="kenianisch", ET="äthiopisch",
  AU="australisch", CH="schweizerisch", AT="österreichisch", NL="niederländisch",
  BE="belgisch", PL="polnisch", CZ="tschechisch", SK="slowakisch", HU="ungarisch",
  RO="rumänisch", BG="bulgarisch", GR="griechisch", PT="portugiesisch", SE="schwedisch",
  NO="norwegisch", DK="dänisch", FI="finnisch", IE="irisch", RS="serbisch",
  HR="kroatisch", BY="belarussisch weißrussisch", VN="vietnamesisch", TH="thailändisch",
  ID="indonesisch", PH="philippinisch", TW="taiwanisch", QA="katarisch",
  AE="emiratisch", JO="jordanisch", LY="libysch", TN="tunesisch", MA="marokkanisch",
  DZ="algerisch", SD="sudanesisch", ML="malisch", AM="armenisch",
  AZ="aserbaidschanisch", KZ="kasachisch", LT="litauisch", LV="lettisch", EE="estnisch",
  SI="slowenisch", LU="luxemburgisch", MD="moldauisch", YE="jemenitisch",
  SO="somalisch", NZ="neuseeländisch", CL="chilenisch", PE="peruanisch",
  BO="bolivianisch", EC="ecuadorianisch", HT="haitianisch", GE="georgisch",
  IS="isländisch", VA="vatikanisch", BA="bosnisch", AL="albanisch", MK="mazedonisch",
  ME="montenegrinisch", XK="kosovarisch", CY="zypriotisch", KW="kuwaitisch",
  OM="omanisch", BH="bahrainisch", UZ="usbekisch", KG="kirgisisch", TJ="tadschikisch",
  TM="turkmenisch", NP="nepalesisch", BD="bangladeschisch", LK="sri-lankisch",
  MM="myanmarisch", KH="kambodschanisch", LA="laotisch", MY="malaysisch", SG="singapurisch",
  GH="ghanaisch", CM="kamerunisch", SN="senegalesisch", CD="kongolesisch", RW="ruandisch",
  UG="ugandisch", TZ="tansanisch", ZM="sambisch", ZW="simbabwisch", MZ="mosambikanisch",
  AO="angolanisch", NA="namibisch", ER="eritreisch", TD="tschadisch", CI="ivorisch",
  GT="guatemaltekisch", HN="honduranisch", SV="salvadorianisch", NI="nicaraguanisch",
  CR="costa-ricanisch", PA="panamaisch", JM="jamaikanisch", UY="uruguayisch",
  PY="paraguayisch", MG="madagassisch")
DE_ENDINGS = ("e", "en", "er", "es", "em")
# German inhabitant nouns (capitalised; -er nouns also take -in, -innen)
DE_NOUNS = dict(US="Amerikaner US-Amerikaner", GB="Briten Brite Britin Engländer",
  FR="Franzosen Franzose Französin Französinnen", IT="Italiener", ES="Spanier",
  RU="Russen Russe Russin Russinnen", UA="Ukrainer", CN="Chinesen Chinesin",
  JP="Japaner", KR="Südkoreaner", KP="Nordkoreaner", IN="Inder", PK="Pakistaner",
  IR="Iraner", IQ="Iraker", SY="Syrer", PS="Palästinenser", LB="Libanesen Libanese",
  TR="Türken Türke Türkin", EG="Ägypter", AF="Afghanen Afghane Afghanin",
  CA="Kanadier", MX="Mexikaner", BR="Brasilianer", AR="Argentinier",
  VE="Venezolaner", CO="Kolumbianer", CU="Kubaner", NG="Nigerianer", ZA="Südafrikaner",
  KE="Kenianer", ET="Äthiopier", AU="Australier", CH="Schweizer", AT="Österreicher",
  NL="Niederländer", BE="Belgier", CZ="Tschechen Tscheche", SK="Slowaken Slowake",
  RO="Rumänen Rumäne", BG="Bulgaren Bulgare", GR="Griechen Grieche Griechin",
  PT="Portugiesen Portugiese", NO="Norweger", DK="Dänen Däne", FI="Finnen Finne",
  IE="Iren Ire", RS="Serben Serbe", HR="Kroaten Kroate", BY="Belarussen",
  VN="Vietnamesen", TH="Thailänder", ID="Indonesier", MA="Marokkaner", DZ="Algerier",
  TN="Tunesier", LY="Libyer", SD="Sudanesen", SO="Somalier", YE="Jemeniten",
  AM="Armenier", GE="Georgier", LT="Litauer", EE="Esten", IS="Isländer", CL="Chilenen",
  PE="Peruaner", IL="Israelis", LV="Letten Lette Lettin", SI="Slowenen Slowene Slowenin",
  BA="Bosnier", AL="Albaner", MK="Mazedonier Nordmazedonier", ME="Montenegriner",
  XK="Kosovaren Kosovare", CY="Zyprer Zyprioten", NZ="Neuseeländer",
  SA="Saudis", QA="Katarer", KW="Kuwaiter", AE="Emiratis", JO="Jordanier",
  KZ="Kasachen Kasache", UZ="Usbeken", AZ="Aserbaidschaner", MD="Moldauer",
  BY2="Weißrussen", PH="Philippiner Filipinos", MY="Malaysier",
  SG="Singapurer", KH="Kambodschaner", NP="Nepalesen", BD="Bangladescher",
  LK="Sri-Lanker", TW="Taiwaner", GH="Ghanaer", CM="Kameruner", SN="Senegalesen",
  CD="Kongolesen", ER="Eritreer", TZ="Tansanier", UG="Ugander", RW="Ruander",
  ZW="Simbabwer", MZ="Mosambikaner", AO="Angolaner", NA="Namibier", ML="Malier",
  BO="Bolivianer", EC="Ecuadorianer", UY="Uruguayer", PY="Paraguayer",
  GT="Guatemalteken", HN="Honduraner", SV="Salvadorianer", NI="Nicaraguaner",
  HT="Haitianer", JM="Jamaikaner", NL2="Holländer", GB2="Schotten Schotte Waliser")
# French adjectives: (masculine, feminine) stems; plural "s" added; the bare masculine is
# left out where it is also the language ("français", "allemand", ...)
FR_ADJ = dict(FR=("français", "française", True), DE=("allemand", "allemande", True),
  US=("américain", "américaine", False), GB=("britannique", "britannique", False),
  RU=("russe", "russe", False), CN=("chinois", "chinoise", True),
  JP=("japonais", "japonaise", True), IT=("italien", "italienne", True),
  ES=("espagnol", "espagnole", True), UA=("ukrainien", "ukrainienne", False),
  TR=("turc", "turque", True), IR=("iranien", "iranienne", False),
  IL=("israélien", "israélienne", False), PS=("palestinien", "palestinienne", False),
  SY=("syrien", "syrienne", False), LB=("libanais", "libanaise", False),
  SA=("saoudien", "saoudienne", False), EG=("égyptien", "égyptienne", False),
  IN=("indien", "indienne", False), PK=("pakistanais", "pakistanaise", False),
  AF=("afghan", "afghane", False), CA=("canadien", "canadienne", False),
  MX=("mexicain", "mexicaine", False), BR=("brésilien", "brésilienne", False),
  AR=("argentin", "argentine", False), NG=("nigérian", "nigériane", False),
  DZ=("algérien", "algérienne", False), MA=("marocain", "marocaine", False),
  TN=("tunisien", "tunisienne", False), ML=("malien", "malienne", False),
  SN=("sénégalais", "sénégalaise", False), CI=("ivoirien", "ivoirienne", False),
  CD=("congolais", "congolaise", False), BE=("belge", "belge", False),
  CH=("suisse", "suisse", False), NL=("néerlandais", "néerlandaise", True),
  PL=("polonais", "polonaise", True), GR=("grec", "grecque", True),
  PT=("portugais", "portugaise", True), SE=("suédois", "suédoise", True),
  NO=("norvégien", "norvégienne", False), DK=("danois", "danoise", True),
  IE=("irlandais", "irlandaise", False), AT=("autrichien", "autrichienne", False),
  HU=("hongrois", "hongroise", True), RO=("roumain", "roumaine", True),
  KR=("sud-coréen", "sud-coréenne", False), KP=("nord-coréen", "nord-coréenne", False),
  VN=("vietnamien", "vietnamienne", True), AU=("australien", "australienne", False),
  IQ=("irakien", "irakienne", False), QA=("qatari", "qatarie", False),
  HT=("haïtien", "haïtienne", False), VE=("vénézuélien", "vénézuélienne", False),
  CO=("colombien", "colombienne", False), CU=("cubain", "cubaine", False))
FR_ADJ.update(RS=("serbe", "serbe", True), HR=("croate", "croate", True),
  BA=("bosnien", "bosnienne", False), CZ=("tchèque", "tchèque", True),
  SK=("slovaque", "slovaque", True), BG=("bulgare", "bulgare", True),
  BY=("biélorusse", "biélorusse", True), GE=("géorgien", "géorgienne", True),
  AM=("arménien", "arménienne", True), AZ=("azerbaïdjanais", "azerbaïdjanaise", True),
  BD=("bangladais", "bangladaise", False), NP=("népalais", "népalaise", True),
  MM=("birman", "birmane", True), TH=("thaïlandais", "thaïlandaise", False),
  KH=("cambodgien", "cambodgienne", False), MY=("malaisien", "malaisienne", False),
  ID=("indonésien", "indonésienne", True), PH=("philippin", "philippine", False),
  TW=("taïwanais", "taïwanaise", False), NZ=("néo-zélandais", "néo-zélandaise", False),
  CL=("chilien", "chilienne", False), PE=("péruvien", "péruvienne", False),
  BO=("bolivien", "bolivienne", False), EC=("équatorien", "équatorienne", False),
  UY=("uruguayen", "uruguayenne", False), PY=("paraguayen", "paraguayenne", False),
  FI=("finlandais", "finlandaise", False), IS=("islandais", "islandaise", True),
  EE=("estonien", "estonienne", True), LV=("letton", "lettonne", True),
  LT=("lituanien", "lituanienne", True), LU=("luxembourgeois", "luxembourgeoise", True),
  MC=("monégasque", "monégasque", False), MT=("maltais", "maltaise", True),
  CY=("chypriote", "chypriote", False), SI=("slovène", "slovène", True),
  AL=("albanais", "albanaise", True), MK=("macédonien", "macédonienne", True),
  ME=("monténégrin", "monténégrine", False), XK=("kosovar", "kosovare", False),
  LY=("libyen", "libyenne", False), SD=("soudanais", "soudanaise", False),
  ET=("éthiopien", "éthiopienne", False), ER=("érythréen", "érythréenne", False),
  SO=("somalien", "somalienne", False), KE=("kényan", "kényane", False),
  TZ=("tanzanien", "tanzanienne", False), UG=("ougandais", "ougandaise", False),
  RW=("rwandais", "rwandaise", False), BI=("burundais", "burundaise", False),
  CM=("camerounais", "camerounaise", False), GA=("gabonais", "gabonaise", False),
  TD=("tchadien", "tchadienne", False), NE=("nigérien", "nigérienne", False),
  BF=("burkinabè", "burkinabè", False), BJ=("béninois", "béninoise", False),
  TG=("togolais", "togolaise", False), GH=("ghanéen", "ghanéenne", False),
  GN=("guinéen", "guinéenne", False), MR=("mauritanien", "mauritanienne", False),
  ZA=("sud-africain", "sud-africaine", False), ZW=("zimbabwéen", "zimbabwéenne", False),
  MZ=("mozambicain", "mozambicaine", False), AO=("angolais", "angolaise", False),
  MG=("malgache", "malgache", True), JO=("jordanien", "jordanienne", False),
  KW=("koweïtien", "koweïtienne", False), AE=("émirati", "émiratie", False),
  OM=("omanais", "omanaise", False), YE=("yéménite", "yéménite", False),
  KZ=("kazakh", "kazakhe", True), UZ=("ouzbek", "ouzbèke", True))
# Spanish adjectives: stem + o/a/os/as, or invariant forms; bare language forms left out
ES_OA = dict(US="norteamericano", GB="británico", RU="rus", UA="ucranian", IT="italian",
  CN="chin", MX="mexican", BR="brasileñ", AR="argentin", VE="venezolan", CO="colombian",
  CU="cuban", CL="chilen", PE="peruan", BO="bolivian", EC="ecuatorian", HN="hondureñ",
  GT="guatemaltec", SV="salvadoreñ", PA="panameñ", DO="dominican", UY="uruguay",
  PY="paraguay", PS="palestin", SY="siri", EG="egipci", AF="afgan", TR="turc",
  PL="polac", GR="grieg", SE="suec", NO="norueg", KR="surcorean", KP="norcorean",
  AU="australian", CH="suiz", AT="austriac", IE="irlandes")
ES_OA.update(BA="bosni", RS="serbi", HU="húngar", RO="ruman", BG="búlgar", CZ="chec",
  SK="eslovac", BY="bielorrus", GE="georgian", AM="armeni", JO="jordan", LY="libi",
  KE="kenian", NG="nigerian", ZA="sudafrican", CD="congoleñ", HT="haitian",
  PR="puertorriqueñ", JM="jamaiquin", ID="indonesi", PH="filipin", MY="malasi", KZ="kazaj")
ES_SKIP = {"checo", "georgiana", "georgianas", "siria", "cubana", "dominicana", "dominicano", "chilena",
           "chino", "chinos"}   # "chinos": trousers in English
ES_FIXED = dict(US="estadounidense estadounidenses", DE="alemán alemana alemanes alemanas",
  FR="francés francesa franceses francesas", JP="japonés japonesa japoneses japonesas",
  ES="español española españoles españolas", IR="iraní iraníes", IL="israelí israelíes",
  SA="saudí saudíes", PK="pakistaní pakistaníes", CA="canadiense canadienses",
  NI="nicaragüense nicaragüenses", CR="costarricense costarricenses",
  PT="portugués portuguesa portugueses portuguesas", IN="hindú", IQ="iraquí iraquíes",
  NL="neerlandés neerlandesa neerlandeses holandés holandesa holandeses",
  BE="belga belgas", MA="marroquí marroquíes", DZ="argelino argelina argelinos")
ES_FIXED.update(HR="croata croatas", TH="tailandés tailandesa tailandeses tailandesas",
  VN="vietnamita vietnamitas", LB="libanés libanesa libaneses libanesas",
  QA="catarí cataríes qatarí qataríes", AE="emiratí emiratíes", YE="yemení yemeníes",
  KW="kuwaití kuwaitíes", TN="tunecino tunecina tunecinos tunecinas",
  SD="sudanés sudanesa sudaneses sudanesas", ET="etíope etíopes", GH="ghanés ghanesa ghaneses ghanesas",
  SN="senegalés senegalesa senegaleses senegalesas", BD="bangladesí bangladesíes",
  GB2="escocés escocesa escoceses escocesas galés galeses",
  NZ="neozelandés neozelandesa neozelandeses neozelandesas", DK="danés danesa daneses danesas",
  FI="finlandés finlandesa finlandeses finlandesas", IS="islandés islandesa islandeses islandesas")
ES_FIXED["IN"] = ""     # "hindú" is the religion too
# exonyms of capitals and big cities (de / fr / es)
EXONYMS = dict(RU="Moskau;Moscou;Moscú;Sankt Petersburg", UA="Kiew", PL="Warschau;Varsovie;Varsovia",
  AT="Wien;Viena", IT="Mailand;Neapel;Venedig;Florenz;Milán", BE="Brüssel;Bruselas;Antwerpen",
  CH="Genf;Zürich;Genève;Ginebra", CZ="Prag", CN="Peking;Schanghai;Pékin;Pekín",
  JP="Tokio", IN="Neu-Delhi;Nueva Delhi", EG="Kairo;Le Caire;El Cairo",
  IR="Teheran;Téhéran;Teherán", IQ="Bagdad", SY="Damaskus;Damasco", GR="Athen;Athènes;Atenas",
  PT="Lissabon;Lisbonne;Lisboa", DK="Kopenhagen;Copenhague", NL="Den Haag;La Haye;La Haya",
  RS="Belgrad", RO="Bukarest", GB="Londres", DE="Berlín", FR="París;Straßburg;Nizza",
  US="Nueva York", MX="Mexiko-Stadt;Ciudad de México", IL="Jerusalén",
  DZ="Alger;Argel", VA="Vatikan;Vatikanstadt;Vaticano", KR="Seúl;Corea del Sur",
  KP="Corea del Norte", SA="Riad", BR="Brasilia")

# German country names take "-s" in the genitive ("Russlands Präsident", "die Regierung
# Frankreichs"); not feminine names (-e, -ei, -z: "der Türkei", "der Schweiz"), plurals,
# names ending in a sibilant, or forms that are English plurals of given names or words
DE_GEN_SKIP = {"Chiles", "Jordans", "Tschads", "Georgiens", "Guineas", "Tongas", "Indias",
               "Samoas", "Nigers", "Jerseys", "Guernseys", "Islands", "Moldaus", "Kongos"}
DE_PLURAL = {"Niederlande", "Philippinen", "Malediven", "Seychellen", "Komoren", "Salomonen",
             "Bahamas", "Färöer", "Marshallinseln", "Vereinigte Staaten", "Fidschi"}
# inflected multi-word German names
DE_INFLECTED = dict(US="Vereinigten Staaten;Vereinigten Staaten von Amerika;"
                       "Vereinigte Staaten von Amerika",
  GB="Vereinigte Königreich;Vereinigten Königreich;Vereinigten Königreichs;"
     "Vereinigten Königreiches;Großbritanniens",
  AE="Vereinigten Arabischen Emirate;Vereinigten Arabischen Emiraten",
  CZ="Tschechischen Republik", DO="Dominikanischen Republik",
  CF="Zentralafrikanischen Republik", NL="Niederlanden", PH="Philippinen",
  KR="Republik Korea", SA="Saudi-Arabiens")
# Polish declension of country names (genitive, dative, accusative, instrumental,
# locative), written out: the endings depend on the stem ("w Polsce", "z Rosji",
# "do Niemiec", "w Stanach Zjednoczonych")
PL_FORMS = dict(
  PL="Polsce;Polskę;Polską", RU="Rosji;Rosję;Rosją", UA="Ukrainy;Ukrainie;Ukrainę;Ukrainą",
  BY="Białorusi;Białorusią", DE="Niemiec;Niemcom;Niemcami;Niemczech",
  FR="Francji;Francję;Francją", IT="Włoch;Włochom;Włochami;Włoszech",
  ES="Hiszpanii;Hiszpanię;Hiszpanią", PT="Portugalii;Portugalię;Portugalią",
  GB="Wielkiej Brytanii;Wielką Brytanię;Wielką Brytanią",
  US="Stanów Zjednoczonych;Stanom Zjednoczonym;Stanami Zjednoczonymi;Stanach Zjednoczonych",
  CN="Chin;Chinom;Chinami;Chinach", JP="Japonii;Japonię;Japonią", IN="Indii;Indiom;Indiami;Indiach",
  KR="Korei Południowej;Koreę Południową;Koreą Południową",
  KP="Korei Północnej;Koreę Północną;Koreą Północną",
  NL="Holandii;Holandię;Holandią;Niderlandów;Niderlandach",
  BE="Belgii;Belgię;Belgią", AT="Austrii;Austrię;Austrią",
  CH="Szwajcarii;Szwajcarię;Szwajcarią", CZ="Czechom;Czechami;Czechach",
  SK="Słowacji;Słowację;Słowacją", HU="Węgier;Węgrom;Węgrami;Węgrzech",
  LT="Litwy;Litwie;Litwę;Litwą", LV="Łotwy;Łotwie;Łotwę;Łotwą",
  EE="Estonii;Estonię;Estonią", FI="Finlandii;Finlandię;Finlandią",
  SE="Szwecji;Szwecję;Szwecją", NO="Norwegii;Norwegię;Norwegią",
  DK="Danii;Danię;Danią", IE="Irlandii;Irlandię;Irlandią",
  GR="Grecji;Grecję;Grecją", TR="Turcji;Turcję;Turcją", RO="Rumunii;Rumunię;Rumunią",
  BG="Bułgarii;Bułgarię;Bułgarią", RS="Serbii;Serbię;Serbią", HR="Chorwacji;Chorwację;Chorwacją",
  GE="Gruzji;Gruzję;Gruzją", AM="Armenii;Armenię;Armenią", MD="Mołdawii;Mołdawię;Mołdawią",
  KZ="Kazachstanu;Kazachstanie;Kazachstanem", IL="Izraela;Izraelowi;Izraelem;Izraelu",
  IR="Iranu;Iranowi;Iranem;Iranie", IQ="Iraku;Irakowi;Irakiem", SY="Syrii;Syrię;Syrią",
  EG="Egiptu;Egiptowi;Egiptem;Egipcie", SA="Arabii Saudyjskiej;Arabię Saudyjską;Arabią Saudyjską",
  QA="Kataru;Katarem;Katarze", OM="Omanu;Omanem;Omanie", AF="Afganistanu;Afganistanie",
  PK="Pakistanu;Pakistanem;Pakistanie", TW="Tajwanu;Tajwanem;Tajwanie",
  VN="Wietnamu;Wietnamem;Wietnamie", ID="Indonezji;Indonezję;Indonezją",
  MY="Malezji;Malezję;Malezją", AU="Australii;Australię;Australią",
  NZ="Nowej Zelandii;Nową Zelandię;Nową Zelandią", CA="Kanady;Kanadzie;Kanadę;Kanadą",
  MX="Meksyku;Meksykiem", BR="Brazylii;Brazylię;Brazylią", AR="Argentyny;Argentynie;Argentynę;Argentyną",
  VE="Wenezueli;Wenezuelę;Wenezuelą", CU="Kuby;Kubie;Kubę;Kubą", PA="Panamy;Panamie;Panamę;Panamą",
  ZA="Republiki Południowej Afryki;Republice Południowej Afryki", NG="Nigerii;Nigerię;Nigerią",
  LY="Libii;Libię;Libią", LB="Libanu;Libanie", JO="Jordanii;Jordanię;Jordanią",
  AZ="Azerbejdżanu;Azerbejdżanie", TH="Tajlandii;Tajlandię;Tajlandią",
  PH="Filipin;Filipinach", SG="Singapuru;Singapurze", IS="Islandii;Islandię;Islandią")

# Polish adjectives: stems in -sk/-ck/-dzk/-k take the soft endings (rosyjski, rosyjska,
# rosyjskiego, rosyjskiej ...); "koreański" is left out (both Koreas)
PL_ADJ = dict(RU="rosyjsk", UA="ukraińsk", PL="polsk", DE="niemieck", US="amerykańsk",
  CN="chińsk", FR="francusk", GB="brytyjsk", IT="włosk", ES="hiszpańsk", IL="izraelsk",
  IR="irańsk", TR="tureck", JP="japońsk", BY="białorusk", LT="litewsk", LV="łotewsk",
  EE="estońsk", CZ="czesk", SK="słowack", HU="węgiersk", SE="szwedzk", NO="norwesk",
  DK="duńsk", FI="fińsk", NL="holendersk niderlandzk", BE="belgijsk", AT="austriack",
  CH="szwajcarsk", GR="greck", IN="indyjsk", CA="kanadyjsk", MX="meksykańsk",
  BR="brazylijsk", AU="australijsk", KP="północnokoreańsk", KR="południowokoreańsk",
  SA="saudyjsk", SY="syryjsk", EG="egipsk", QA="katarsk", IE="irlandzk", PT="portugalsk",
  RO="rumuńsk", BG="bułgarsk", RS="serbsk", HR="chorwack", GE="gruzińsk", AM="ormiańsk",
  KZ="kazachsk", AF="afgańsk", PK="pakistańsk", VN="wietnamsk", TW="tajwańsk",
  MD="mołdawsk", AZ="azerbejdżańsk", IQ="irack", LB="libańsk", JO="jordańsk",
  NG="nigeryjsk", ZA="południowoafrykańsk", AR="argentyńsk", VE="wenezuelsk", CU="kubańsk")
PL_ADJ_ENDINGS = ("i", "a", "ie", "iego", "iemu", "im", "iej", "ą", "ich", "imi")
# Polish inhabitant nouns (capitalised): plural cases, then the singular
PL_NOUNS = dict(RU="Rosjanie Rosjan Rosjanom Rosjanami Rosjanach Rosjanin Rosjanka",
  UA="Ukraińcy Ukraińców Ukraińcom Ukraińcami Ukraińcach Ukrainiec Ukrainka",
  PL="Polacy Polaków Polakom Polakami Polakach Polak",
  US="Amerykanie Amerykanów Amerykanom Amerykanami Amerykanach Amerykanin Amerykanka",
  DE="Niemców Niemcach Niemka", CN="Chińczycy Chińczyków Chińczykom Chińczykami",
  FR="Francuzi Francuzów Francuzom Francuzami Francuz Francuzka",
  GB="Brytyjczycy Brytyjczyków Brytyjczykom Brytyjczykami Brytyjczyk",
  IT="Włosi Włochów", ES="Hiszpanie Hiszpanów Hiszpan Hiszpanka",
  BY="Białorusini Białorusinów Białorusin", IL="Izraelczycy Izraelczyków",
  JP="Japończycy Japończyków", CZ="Czesi Czechów", HU="Węgrzy Węgrów",
  LT="Litwini Litwinów", TR="Turków")

# Italian adjectives: stem + o/a/i/e, stem + e/i (-ese), or listed forms. Left out: forms
# that are English words, surnames or brands ("americano" coffee, "Americana" music, "Russo",
# "Greco", "Tedesco", "Bulgari", "cubano", "marocchino", "CECA"), and "coreano" (both Koreas)
IT_OAIE = dict(IT="italian", UA="ucrain", US="statunitens", IN="indian", IL="israelian",
  IR="iranian", SY="sirian", EG="egizian", BR="brasilian", MX="messican", AU="australian",
  CH="svizzer", RO="rumen", RS="serb", HR="croat", NG="nigerian", ZA="sudafrican",
  KE="kenian", AF="afghan", PK="pakistan", VN="vietnamit", KP="nordcorean",
  KR="sudcorean", AR="argentin", CL="cilen", VE="venezuelan", CO="colombian",
  PE="peruvian", TN="tunisin", DZ="algerin", SA="saudit", ES="spagnol", GB="britannic",
  PL="polacc", AT="austriac", GR="grec", TR="turc", LY="libic", DE="tedesc", RU="russ",
  CU="cuban", MA="marocchin", BG="bulgar")
IT_SKIP = {"statunitenso", "statunitensa", "russo", "greco", "tedesco", "bulgari", "cubano",
           "marocchino", "saudito", "pakistano", "pakistana", "pakistani", "pakistane",
           "afghani", "spagnola", "vietnamito", "vietnamiti", "cubana", "americana", "ceca"}
IT_ESE = dict(CN="cines", FR="frances", GB="ingles", JP="giappones", PS="palestines",
  CA="canades", NL="olandes", PT="portoghes", SE="svedes", NO="norveges", DK="danes",
  IE="irlandes", HU="ungheres", CZ="cechi ceche")
IT_FIXED = dict(US="statunitense statunitensi americana americani americane",
  BE="belgi belghe", ET="etiope etiopi", SA="saudita sauditi saudite",
  PK="pachistano pachistana pachistani", VN="vietnamita vietnamiti vietnamite",
  GR="greca greci greche", DE="tedesca tedeschi tedesche", TR="turca turchi turche",
  AT="austriaca austriaci austriache", PL="polacca polacchi polacche",
  GB="britannica britannici britanniche", LY="libica libici libiche")

# never shadow an existing entry ("Argentina", "China" keep their own rules)
existing = {normalise(e.form).strip()
            for e in load_aliases(ALIASES_FILE) + _auto_entries(load_rules())}
# ... except these lower-case adjectives, which stand in for the same country's translated
# name, matched capitalised only ("l'armateur italo-suisse" and "la Suisse"); not German
# names such as "Italien", which would turn into French "italien", the language
TAKES_NAME = {"suisse"}
rows: list[tuple[str, str, str, str]] = []
seen: set[str] = set()

def add(code: str, form: str, kind: str, flags: str = "") -> None:
    key = normalise(form).strip()
    if len(key) < 4 or (key in existing and key not in TAKES_NAME) or key in seen:
        return
    seen.add(key)
    rows.append((code, form, kind, flags))

for code, stems in DE_ADJ.items():
    for stem in stems.split():
        for end in DE_ENDINGS:
            add(code, stem + end, "demonym")
for code, (m, f, _lang) in FR_ADJ.items():
    forms = [f, f + "s" if not f.endswith("s") else f]
    forms += [m, m if m.endswith("s") else m + "s"]  # "français" also the language: see
    # language_demonyms in geo_rules.tsv
    for x in forms:
        add(code, x, "demonym")
for code, stem in ES_OA.items():
    for end in ("o", "a", "os", "as") if not stem.endswith("o") else ("", "a", "s", "as"):
        w = stem + end if not stem.endswith("o") else (stem + end if end in ("", "s") else stem[:-1] + end)
        if w not in ES_SKIP:
            add(code, w, "demonym")
for code, forms in ES_FIXED.items():
    code = code[:2]
    for x in forms.split():
        add(code, x, "demonym")
for code, nouns in DE_NOUNS.items():
    code = code[:2]     # "NL2": a second entry for the same country
    for n in nouns.split():
        add(code, n, "demonym")
        if n.endswith("er") and not n.endswith("Schweizer"):
            add(code, n + "in", "demonym")
            add(code, n + "innen", "demonym")
for code, names in EXONYMS.items():
    for n in names.split(";"):
        add(code, n, "place")
import gettext  # noqa: E402

import pycountry  # noqa: E402

de = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["de"])
de_names = [(c.alpha_2, de.gettext(getattr(c, "common_name", None) or c.name))
            for c in pycountry.countries]
# German names written in geo_aliases.tsv ("Russland", "Syrien") and a few more
de_names += [(e.codes[0], e.form) for e in load_aliases(ALIASES_FILE)
             if e.kind == "foreign" and len(e.codes) == 1]
DE_MORE = dict(US="Amerika", BY="Weißrussland", PS="Palästina", MD="Moldawien",
               MK="Mazedonien Nordmazedonien", GB="Schottland Nordirland", XK="Kosovo",
               BA="Bosnien Herzegowina")
for code, names in DE_MORE.items():
    for n in names.split():
        add(code, n, "foreign")
        de_names.append((code, n))
for code, nm in de_names:
    if (" " in nm or "," in nm or "(" in nm or nm in DE_PLURAL or not nm[:1].isupper()
            or nm.endswith(("e", "ei", "z", "s", "ß", "x", "republik", "insel", "inseln"))):
        continue
    if nm + "s" not in DE_GEN_SKIP:
        add(code, nm + "s", "foreign")
for code, names in DE_INFLECTED.items():
    for n in names.split(";"):
        add(code, n, "foreign")
for code, names in PL_FORMS.items():
    for n in names.split(";"):
        add(code, n, "foreign")
for code, stems in PL_ADJ.items():
    for stem in stems.split():
        for end in PL_ADJ_ENDINGS:
            add(code, stem + end, "demonym")
for code, stem in IT_OAIE.items():
    if code in IT_FIXED and code not in ("US",):
        continue        # irregular plurals: listed in IT_FIXED
    for end in ("o", "a", "i", "e"):
        if stem + end not in IT_SKIP:
            add(code, stem + end, "demonym")
for code, stems in IT_ESE.items():
    for stem in stems.split():
        if stem.endswith(("a", "i", "e")):
            add(code, stem, "demonym")
            continue
        for end in ("e", "i"):
            add(code, stem + end, "demonym")
for code, forms in IT_FIXED.items():
    for x in forms.split():
        if x not in IT_SKIP:
            add(code, x, "demonym")
# the masculine forms that are also surnames match only in lower case, as written
for code, form in dict(DE="tedesco", RU="russo", GR="greco").items():
    add(code, form, "demonym", "acronym")
for code, nouns in PL_NOUNS.items():
    for n in nouns.split():
        add(code, n, "demonym")
out = ["# Non-English adjectives, inhabitant nouns and city names (German, French, Spanish),",
       "# German genitives (\"Russlands\"), Polish declensions (\"w Polsce\") of country names,",
       "# Polish adjectives (\"rosyjskiej\") and inhabitant nouns (\"Rosjanie\"), Italian",
       "# adjectives (\"tedeschi\"),",
       "# generated from word stems; same format and rules as geo_aliases.tsv. Forms that are",
       "# also a language name in German (\"deutsch\", \"englisch\") or a common word",
       "# (German \"Pole\", Spanish \"cubana\") are left out; lower-case forms match any case.",
       "# French and Spanish forms that are also the language (\"en français\") are listed in",
       "# language_demonyms (geo_rules.tsv). Regenerate with scripts/gen_geo_foreign.py."]
out += [f"{c}\t{f}\t{k}\t{fl}" for c, f, k, fl in rows]
open(sys.argv[1], "w").write("\n".join(out) + "\n")
print(len(rows), "rows")
