"""Long-tailed family names per name culture: a curated head plus invented further names.

Real populations have thousands of family names per country, with a heavy-tailed frequency:
a few very common names (Nowak, Okafor, Yılmaz) and a long tail of rare ones. A synthetic
edition that draws from a few dozen names makes namesakes far too common, and more so the
larger the simulated population.

Each culture has a *rank list*: rank 1, 2, ... are the curated common names of
:mod:`traffickingmonitor.synthetic.names` in order of frequency, and the ranks after them are
invented names, built deterministically from the rank by templates of that language group
(roots, particles and suffixes: "van den" + "Steen" + "berg", "Kowal" + "ski", "Ogun" +
"leye"). A person's rank is drawn with Zipf-Mandelbrot weights, p(r) ~ (r + q)^-s, truncated
at a vocabulary size ``V``: the head share and the tail follow the culture (Vietnamese and
Chinese family names are few and very concentrated, Thai family names nearly unique). Only
the ranks actually drawn are turned into strings, so a million registrations stay cheap, and
the number of distinct names grows with the simulated population as it does in reality.

The names are invented combinations, not records of persons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _o(text: str) -> tuple[str, ...]:
    """Options of one template slot: comma separated; ``_`` is empty, ``+`` a trailing space."""
    out = []
    for x in text.split(","):
        x = x.strip()
        if not x:
            continue
        out.append("" if x == "_" else x.replace("+", " "))
    return tuple(out)


@dataclass(frozen=True)
class Tail:
    """How the family names of a culture continue after the curated head."""

    templates: tuple[tuple[float, tuple[tuple[str, ...], ...]], ...] = ()
    q: float = 20.0  # Zipf-Mandelbrot offset: larger = flatter head
    s: float = 1.0  # Zipf exponent
    vocabulary: int = 150_000  # ranks in all (head included); capped at the head without templates
    weights: tuple[float, ...] = ()  # explicit head shares (overrides q and s for the head)
    # linking syllables, put before the last part of a template of two parts or more (often
    # none): they multiply the invented names, so that a million people still have rare ones
    infix: tuple[str, ...] = ()


def _t(weight: float, *slots: str) -> tuple[float, tuple[tuple[str, ...], ...]]:
    return (weight, tuple(_o(s) for s in slots))


_NL_PLACE = (
    "berg, dijk, veen, broek, hoek, laar, wal, zande, heuvel, meer, beek, bosch, horst, akker,"
    "kamp, molen, leeuw, hout, ven, wijk, sluis, poel, vliet, water, kolk, brink, donk, riet,"
    "werf, dam, velde, weerd, hoven, kerk, brug, steeg, haar, schoot, rode, voort, loo, endt"
)
_NL_PRE = (
    "_, _, _, Hoog, Nieuw, Oost, West, Noord, Zuid, Rijn, Maas, Eek, Berk, Linde, Wil, Bloem,"
    "Oud, Groen, Rood, Wit, Brand, Steen, Mol, Vis, Zand, Klein, Groot, Holt, Ros, Kool, Blok,"
    "Ter, Hal, Lang, Veld, Beuk, Esch, Hazel, Duin, Vos, Haas, Spijk, Hulst, Dorre, Gans"
)

TAILS: dict[str, Tail] = {
    "dutch": Tail(
        (
            _t(
                0.35,
                "van+, van+, van de+, van der+, van den+, de+, ter+, ten+, van 't+",
                _NL_PRE,
                _NL_PLACE,
                "_, _, _, en, e",
            ),
            _t(
                0.35,
                "Jan, Hendrik, Gerrit, Willem, Dirk, Klaas, Pieter, Geert, Harm, Evert, Wouter,"
                "Reinder, Sjoerd, Tjeerd, Folkert, Lammert, Wiebe, Hidde, Jelle, Bouw, Roel,"
                "Maart, Teun, Kees, Arend, Gijs, Kors, Lub, Tiem, Wester, Hof, Brouw, Kuip, Heem,"
                "Boer, Smed, Rut, Aal, Bos, Holt, Bruin, Brink, Sikke, Tuin, Bijl, Hoeks, Dijk,"
                "Zijl, Wierd, Rom, Elz, Lok, Post, Veen, Ooster, Hoger, Kramer, Wolt",
                "sen, se, s, ink, ing, inga, ma, stra, sma, huis, man, mans, horst, kamp, veld,"
                "berg, dijk, ens, er, ers, hof, kes, ijn, enga, enburg, stede, haar, meijer",
            ),
            _t(0.30, _NL_PRE, _NL_PLACE, "_, _, en, er, ink, man, s, ing, huis"),
        ),
        q=30,
    ),
    "surinamese": Tail(
        (
            _t(
                0.4,
                "Ram, Sew, Bhagwan, Sital, Jag, Soekh, Mahabier, Ganga, Hanoeman, Biharie, Kalloe,"
                "Ramkis, Chand, Dew, Gobardhan, Jadnanan, Ragoe, Baldew, Kanhai, Lall, Matai,"
                "Nanda, Oemra, Parbhoe, Radhe, Sardjoe, Tewarie, Autar, Bissumbhar, Chotkan,"
                "Debi, Ghisaidoobe, Girjasing, Jhinkoe, Lachman, Mungra, Narain, Punwasi",
                "din, charan, lal, sing, persad, dajal, bali, nath, pal, kisoen, dien, ram,"
                "sahai, sarran, _, _, ie, oe, dat, dew, sawh, bhagat, ier",
            ),
            _t(
                0.2,
                "Kasan, Redjo, Sastro, Karto, Wongso, Atmo, Soemo, Djojo, Kromo, Sarmo, Setro,"
                "Moesti, Tosari, Pawiro, Sadi, Soeki, Amat, Irodikromo, Mingo, Ngadi, Pontjo,"
                "Sapoen, Soekar, Tamin, Wagi",
                "pawiro, dikromo, redjo, semito, sentono, ikromo, wirjo, mardjo, dimedjo,"
                "karso, _, rono, widjojo, hardjo, sarijo, soewito",
            ),
            _t(
                0.4,
                "Wijn, Land, Eerste, Zee, Kens, Nel, Pin, Doel, Vlier, Lie, Ama, Blijd, Vrede,"
                "Held, Sterk, Goed, Wel, Hoog, Fraen, Rens, Kroon, Lont, Mac, Tjon, Aman, Bijl,"
                "Deel, Elst, Fer, Gefferie, Hew, Kaersen, Linger, Mans, Nijman, Olf, Paal,"
                "Ritfeld, Sabajo, Tol, Vel, Zaal, Balk, Koulen",
                "gaarde, veld, ling, laar, mil, om, as, wijt, dam, berg, zorg, rust, hoop, huis,"
                "stein, er, ing, _, ie, i, o, sie, man, well",
            ),
        ),
        q=15,
        infix=_o("_, _, _, _, _, a, o, oe, ie, ra, ka, ma, sa, di, wa"),
    ),
    "maghreb": Tail(
        (
            _t(
                0.45,
                "El+, El+, Ben+, Ait+, Al+, Ould+",
                "Amr, Idriss, Khatt, Mans, Hass, Ala, Fas, Ouazz, Bakk, Tah, Harr, Ghaz, Hadd,"
                "Kabb, Bouzz, Rif, Jabr, Mekk, Mouss, Yahy, Azz, Boukh, Bouch, Zerh, Chaou,"
                "Chaf, Moukh, Marr, Najj, Ouard, Kadd, Sabb, Sall, Taz, Lahl, Mahj, Hamd, Karr,"
                "Fadl, Yazid, Moutt, Bark, Kharb, Meft, Omr, Sebb, Zouh, Filal, Bennan",
                "ani, i, aoui, ouni, ari, ati, ouri, ini, ouli, aki, ali, iri, aji, _",
            ),
            _t(
                0.25,
                "Bou, Ben, Bel, Bou, Ben",
                "khari, zidi, ali, haddou, jemaa, tahar, azza, kili, chaib, said, hamou, kadi,"
                "selham, ouda, brahim, mokhtar, layachi, jelloul, rahma, dahmane, ziane, ghazi,"
                "taleb, akka, hadj, aissa, amar, zaid, salah, larbi, naceur, touhami",
            ),
            _t(
                0.30,
                "Amr, Idriss, Khatt, Mans, Hass, Ala, Fas, Ouazz, Bakk, Tah, Harr, Ghaz, Hadd,"
                "Kabb, Rif, Jabr, Mekk, Mouss, Azz, Chaou, Chaf, Marr, Najj, Ouard, Sabb, Lahl,"
                "Hamd, Karr, Fadl, Yazid, Bark, Kharb, Omr, Zouh, Filal, Seddik, Zemm, Rahm",
                "ani, i, aoui, ouni, ari, ati, ouri, ini, ouli, aki, ali, iri, aji",
            ),
        ),
        q=20,
        infix=_o("_, _, _, _, _, ab, an, ar, ad, am, ir, ou, al, ak"),
    ),
    "turkish": Tail(
        (
            _t(
                1.0,
                "Ak, Kara, Öz, Ay, Yıldız, Demir, Er, Kaya, Gül, Şen, Tan, Çelik, Bal, Boz, Gök,"
                "Taş, Kılıç, Arslan, Doğan, Kurt, Yurt, Güneş, Toprak, Uçar, Bulut, Ateş, Deniz,"
                "Sarı, Al, Baş, Coş, Gür, İnce, Kutlu, Yavuz, Korkmaz, Şimşek, Polat, Koç, Erdem,"
                "Aslan, Tunç, Çakır, Bozkurt, Keskin, Avcı, Kocabaş, Turan, Akın, Soy, Ünal,"
                "Kartal, Yalçın, Ekin, Karaca, Tekin, Oğuz, Ergün, Sevim, Duman, Uysal, Bayram",
                "türk, kan, can, soy, oğlu, er, ay, gül, taş, demir, el, han, alp, kaya, yıldız,"
                "tekin, ci, çi, li, lı, baş, men, ok, sal, dağ, tepe, yol, göz, kurt, _, _, _,"
                "doğan, ışık, bey, gün, koç, man, türk, cı, lar, ler",
            ),
        ),
        q=6,
        infix=_o("_, _, _, _, _, er, ay, al, can, han, taş, tan, ak"),
    ),
    "nigerian": Tail(
        (
            _t(
                0.3,
                "Ok, Okon, Nwa, Chukwu, Ony, Ez, Obi, Uch, Ike, Nna, Ndu, Ogbu, Anya, Ibe, Ume,"
                "Agu, Nw, Oka, Ekw, Eme, Ani, Nwok, Onwu, Odu, Obiora, Mba, Ugw, Okw, Amad, Iwu",
                "afor, onkwo, osu, ka, eke, agu, emeka, ebuka, dike, oma, nna, eze, kwe, chi,"
                "ike, uba, ado, oli, ezie, ocha, ama, ere, udo, onye, ogu, ike, elu, ibe, uzo",
            ),
            _t(
                0.3,
                "Ade, Olu, Ogun, Oye, Ola, Aki, Ayo, Fola, Oni, Ojo, Ako, Afo, Ala, Aje, Oyel,"
                "Kola, Idow, Faj, Bab, Oke, Ode, Ige, Ilu, Omo, Adey, Ajay, Oluw, Abi, Sho, Agb",
                "yemi, leye, bayo, tunde, wale, dele, sola, ola, yinka, kunle, ran, mide, bisi,"
                "femi, jide, seun, wole, kanmi, lowo, bode, gboye, nike, rinde, lade, kunbi,"
                "tola, sanya, mola, yode, wumi",
            ),
            _t(
                0.25,
                "Osa, Igbin, Omo, Edo, Oba, Aig, Ehi, Osag, Ida, Iya, Ogbe, Egh, Aimu, Eba, Osay,"
                "Uwa, Ere, Ikpo, Eva, Izeko, Obas, Ogie, Ugi, Eno, Agbon, Erha, Iyobo, Oko, Uyi",
                "gie, edion, regie, somwan, seki, be, giator, hae, hosa, mu, yande, bor, osa,"
                "fua, diae, wa, ghe, kpe, ghae, naiye, mwan, rhe, ose, wanna, hiobo, ghama, ro",
            ),
            _t(
                0.15,
                "Dan, Abu, Garba, Bala, Dauda, Aliyu, Yakubu, Sani, Lawal, Umar, Sule, Haruna,"
                "Akpan, Etim, Effiong, Bassey, Udo, Okon, Essien, Ekpo, Inyang, Asuquo, Edet",
                "_, _, _, juma, ladi, kano, tata, bakar, yero, wa, mani, ma, u, i, e",
            ),
        ),
        q=40,
        infix=_o("_, _, _, _, _, la, ri, ye, ma, wa, chi, ko, de, mo, ni"),
    ),
    "ghanaian": Tail(
        (
            _t(
                0.6,
                "Ag, Ny, Kw, Ab, Ad, Am, An, As, Bo, Da, Ef, Gy, Of, Op, Os, Ow, Sar, Tw, Yeb,"
                "Frimp, Ntim, Dank, Akw, Bon, Kuf, Mens, Nkr, Opok, Sekyi, Tak, Wiaf, Yeboa",
                "yei, arko, ong, ah, iah, ema, oah, emang, eng, ai, ani, iri, ampong, amah, ateng,"
                "oko, ofo, wah, uah, eam, ansah, oa, ku, afo, kye, ure, ie, ere",
            ),
            _t(
                0.4,
                "A, Agbe, Kpo, Dzi, Ame, Seg, La, No, Qua, Ank, Ama, Att, Ad, Tet, Ako, Kle, Go,"
                "Ahia, Dot, Fia, Gbe, Hor, Kuma, Lar",
                "ko, do, tey, shie, poe, nyo, gbe, rshie, rtey, krah, rley, dzie, vor, ku, gah,"
                "nu, sey, mey, tse, fe, dzo",
            ),
        ),
        q=10,
        infix=_o("_, _, _, _, _, a, o, ko, fo, ma, kwa, dua, si, te"),
    ),
    "ugandan": Tail(
        (
            _t(
                0.4,
                "Sse, Ssem, Nna, Na, Ki, Lu, Mu, Wa, Ka, Ba, Nab, Nam, Kaw, Kiwa, Lwa, Nsu, Se",
                "kandi, pijja, ggundu, bega, kasa, to, tebi, mala, lwoga, kitende, wanga, yanja,"
                "gwanya, bulime, ziwa, siko, wuka, nyonyi, lule, kigozi, ganda, balaba, busuulwa,"
                "nkumbi, kooza, sozi, ggala, mpijja",
            ),
            _t(
                0.3,
                "O, A, O, O",
                "kello, pio, dongo, uma, chieng, tieno, mondi, nyango, wino, duor, dhiambo, loo,"
                "kumu, wuor, ngere, mollo, yugi, gola, bura, jwang, dera, kech, waga, chola,"
                "pondo, dero, king, tim, cen, kot, yang, lal, jok, nen",
            ),
            _t(
                0.3,
                "Tumu, Twino, Ahimbi, Atu, Ainem, Kyomu, Ainomu, Kamu, Asii, Nuwa, Turya, Byaru,"
                "Muhwe, Bya, Natu, Arine, Ninsi, Kobu, Mwesi, Agaba, Ruhi, Kaba",
                "siime, mujuni, sibwe, haire, babazi, hendo, gisha, mwe, gaba, hikayo, hanga, zi,"
                "kunda, itwe, kire, rinda, gye, rwa, ngye, mba",
            ),
        ),
        q=30,
        infix=_o("_, _, _, _, _, ba, ka, mu, ki, nya, bi, ga, si, tu"),
    ),
    "horn": Tail(
        (
            _t(
                0.55,
                "Gebre, Tesfa, Wolde, Habte, Hagos, Kidane, Haile, Tekle, Berhane, Ghebre, Fitsum,"
                "Mebrat, Zer, Sium, Yohann, Mikael, Welde, Asmer, Ghirma, Negas, Weldeab, Kahs,"
                "Zemich, Fesseha, Okbaz, Andem, Tsegay, Mesfin, Teklay, Mehret",
                "mariam, medhin, michael, selassie, giorgis, kidan, tsion, yesus, hiwet, ab, u,"
                "e, om, ai, ezghi, gabr, egzi, _, _, _, ay, t, ghi, es",
            ),
            _t(
                0.45,
                "Abdi, Ali, Warsame, Farah, Hussein, Mohamud, Hassan, Osman, Yusuf, Ahmed, Omar,"
                "Jama, Aden, Nur, Elmi, Dahir, Hirsi, Ismail, Said, Muse, Guled, Egal, Duale,"
                "Shire, Samatar, Gelle, Barre, Isse, Yasin, Abdi, Abdi, Idris, Adam, Bashir",
                "_, _, _, _, _, rahman, qadir, rizak, karim, nasir, aziz, fatah, wahab, salam,"
                "rashid, hakim, malik, lahi, i, e",
            ),
        ),
        q=20,
        infix=_o("_, _, _, _, _, gi, ni, ta, me, ha, ze, ab, sel"),
    ),
    "westafrican": Tail(
        (
            _t(
                1.0,
                "B, D, J, K, M, N, S, T, F, G, Nd, Mb, Ng, Dj, Kr, C, Y, W, L, Gu, Tr, Ou, Sy",
                "a, o, e, i, ou, a, o, ia, ie",
                "ra, ba, ka, ma, ta, teh, nneh, lloh, rray, ye, re, gbo, bo, ne, kouma, sso, ko,"
                "mba, ssa, kite, ate, ulibaly, nde, ng, ssé, wara, baly, nteh, rboe, mmeh, bay,"
                "mbo, lley, ggeh, ssay, diaye, ouf, ck, h, _",
            ),
        ),
        q=5,
        infix=_o("_, _, _, _, _, n, r, l, m, nd, ss, k, ng"),
    ),
    "polish": Tail(
        (
            _t(
                1.0,
                "Kowal, Nowak, Wiśni, Wójt, Lewand, Zielin, Szyman, Woźn, Dąbr, Kozł, Jank,"
                "Kwiatk, Krawc, Piotr, Grab, Pawł, Michal, Król, Wiecz, Jabłon, Wrób, Zając, Maj,"
                "Olsz, Malin, Jawor, Adam, Gór, Witk, Walc, Sikor, Baran, Rutk, Szewc, Ostr,"
                "Tomasz, Pietr, Zal, Jasin, Marcin, Sad, Bąk, Zawad, Jakub, Wilk, Chmiel,"
                "Włodar, Bork, Sokoł, Szczep, Sawic, Lis, Kuchar, Kalin, Wysoc, Kub, Maciej,"
                "Czarn, Kołodz, Urban, Kaczmar, Sobc, Głow, Zakrz, Krup, Koz, Wasil, Mróz, Gaj,"
                "Lask, Biel, Dom, Lip, Brzez, Stach, Wierzb, Dobr, Jurk, Wit, Bogusz, Cieśl,"
                "Kopc, Łuk, Mich, Przyb, Rog, Stan, Wal, Zdun, Żak, Borow, Dud, Fij, Gołęb, Kruk,"
                "Lech, Mik, Pas, Rak, Sow, Tkacz, Wróbl, Zięb, Bartk, Cyb, Dziedz, Frącz, Gawr",
                "ski, ski, ski, owski, owski, ewski, iński, cki, czyk, ak, ek, ik, iak, iec,"
                "owicz, ewicz, czak, as, uk, ała, owiak, orek, ula",
            ),
        ),
        q=20,
        infix=_o("_, _, _, _, _, ow, ew, in, ar, el, ic, usz, ul, an, ecz"),
    ),
    "romanian": Tail(
        (
            _t(
                1.0,
                "Pop, Ion, Rad, Dumitr, Stan, Stoic, Gheorgh, Mat, Cioban, Rus, Munt, Constantin,"
                "Flor, Din, Lung, Sand, Moldov, Marin, Tudor, Urs, Rot, Vasil, Nicol, Georg,"
                "Mihail, Petr, Barb, Dobr, Andrei, Luc, Serb, Manol, Negr, Voic, Zamfir, Nistor,"
                "Grigor, Tom, Dragom, Opr, Iord, Ene, Neag, Moc, Cazac, Bucur, Pred, Vlad, Bad,"
                "Diac, Stoian, Păun, Dinc, Chiri, Lazăr, Cioc, Corb, Fier, Ili, Suci, Rădul,"
                "Coman, Bălan, Ciuc, Dogar, Fărcaș, Gavril, Hodor, Lupu, Mitr, Oancea, Pârv",
                "escu, escu, escu, eanu, aru, an, ache, ilă, oiu, ică, u, a, _, aș, uț, ariu, eș",
            ),
        ),
        q=15,
        infix=_o("_, _, _, _, _, ar, ul, an, ic, ov, aș, in, el, ag"),
    ),
    "bulgarian": Tail(
        (
            _t(
                1.0,
                "Ivan, Georgi, Dimitr, Petr, Nikol, Hrist, Stoyan, Todor, Ili, Vasil, Atanas,"
                "Angel, Kost, Marin, Pop, Yordan, Mihayl, Stef, Kol, Tsvetk, Slav, Bor, Rad,"
                "Zlat, Kiril, Pavl, Lyub, Krast, Mladen, Dobr, Emil, Genk, Hadzhi, Kanch, Lazar,"
                "Mitk, Nedelch, Pench, Rus, Sim, Tan, Velich, Yank, Zhel, Gospod, Dech, Blag,"
                "Bogdan, Valk, Alexandr, Asen, Belch, Dinch, Gancho, Grozd, Kalch, Minch, Tonch",
                "ov, ov, ov, ev, ev, chev, kov, anov, inov, ski, ski, ichkov, arov",
            ),
        ),
        q=8,
        infix=_o("_, _, _, _, _, ch, an, in, ar, ak, ets, ush, ik, ol"),
    ),
    "hungarian": Tail(
        (
            _t(
                0.5,
                "_, _, _, _, Kis, Nagy, Felső, Al, Új, Ó",
                "Szilágy, Somogy, Bud, Patak, Debrecen, Szeged, Győr, Pécs, Eger, Vác, Tat, Pest,"
                "Tokaj, Sopron, Zala, Kalocs, Baj, Gyula, Hatvan, Kecskemét, Miskolc, Szolnok,"
                "Tolna, Bihar, Borsod, Hajd, Jász, Kun, Mátra, Nyír, Bakony, Makó, Zemplén,"
                "Erdő, Hegy, Mező, Rét, Vár, Bán, Dob, Lak, Sár, Szent, Fej, Bars, Csong, Szatmár,"
                "Maros, Körös, Tisza, Duna, Rába, Bereg, Ung, Torna, Abaúj, Heves, Pápa",
                "i, y, i, i, ai, si",
            ),
            _t(
                0.5,
                "Kovács, Szabó, Tóth, Varga, Kis, Molnár, Farkas, Balogh, Lakatos, Oláh, Papp,"
                "Takács, Juhász, Mészáros, Simon, Rácz, Fekete, Török, Fehér, Balázs, Gál, Szűcs,"
                "Kocsis, Orsós, Pintér, Fodor, Szalai, Sipos, Magyar, Lukács, Gulyás, Biró,"
                "Király, Katona, Jakab, Bogdán, Sándor, Boros, Fazekas, Kelemen, Antal, Orosz,"
                "Fülöp, Veres, Vincze, Hegedűs, Deák, Bálint, Pál, Illés, Vass, Szőke, Fábián,"
                "Vörös, Lengyel, Bognár, Bodnár, Jónás, Hajdu, Halász, Máté, Székely, Kozma,"
                "Pásztor, Bakos, Dudás, Major, Orbán, Virág, Barna, Soós, Tamás, Nemes, Balla,"
                "Faragó, Kerekes, Borbély, Barta, Szekeres, Csonka, Mezei, Márton, Sárközi, Berki,"
                "Márkus, Nyári, Kolompár, Rostás, Csikós, Ballagó, Szénási, Dobos, Kardos, Bíró",
            ),
        ),
        q=5,
        infix=_o("_, _, _, _, _, fal, hegy, vár, halm, falv, szeg, lak, ker, tel"),
    ),
    "baltic": Tail(
        (
            _t(
                0.45,
                "Kazlausk, Petrausk, Jankausk, Stankev, Vasiliausk, Žukausk, Butk, Paulausk,"
                "Urbon, Kavaliausk, Ramanausk, Sakal, Navick, Adomait, Mikalausk, Balčiūn,"
                "Bernot, Grigon, Jasait, Lukoš, Marcink, Norkev, Pauliuk, Rimk, Šimk, Tamoš,"
                "Urbonav, Vaičiul, Gedmin, Jurg, Kriščiūn, Malinausk, Mock, Petrait, Rutk, Stonk,"
                "Valantin, Juškev, Kuzm, Lapin, Mačiul, Rimkev, Daukš, Gudait",
                "as, us, is, ius, ūnas, aitis, evičius, auskas, onis, ys, ienas, elis",
            ),
            _t(
                0.3,
                "Bērz, Kaln, Ozol, Liep, Krūm, Balod, Zar, Vītol, Kārkl, Eglīt, Priedīt, Lāc,"
                "Sil, Vilk, Žagar, Rozīt, Dūm, Grīnberg, Kļav, Sproģ, Upīt, Zvaigzn, Avot,"
                "Celm, Dzen, Grav, Jaun, Kalnin, Lapin, Mežal, Pried, Rubenis, Skuj, Strazd",
                "iņš, s, is, ītis, iņš, ons, ulis, āns",
            ),
            _t(
                0.25,
                "Tamm, Saar, Sepp, Mägi, Kask, Kukk, Rebane, Pärn, Koppel, Lepik, Kuusk,"
                "Karu, Raud, Luik, Lepp, Oja, Vaher, Kivi, Põder, Teder, Kõiv, Laur, Sild,"
                "Lill, Org, Toom, Uibo, Jõgi, Aavik, Valk, Kaasik, Kangur, Kärner, Paju,"
                "Tuisk, Kübar, Leht, Järv, Kalda, Laine, Männik, Nurm, Puusepp, Rand",
                "_, _, _, saar, mäe, oja, ste, vere, lo, pere, maa, salu, küla",
            ),
        ),
        q=20,
        infix=_o("_, _, _, _, _, in, el, ait, ul, an, ausk, ev, ik"),
    ),
    "czsk": Tail(
        (
            _t(
                1.0,
                "Nov, Svob, Dvoř, Čern, Proch, Kuč, Vesel, Hor, Něm, Pokor, Mar, Posp, Háj,"
                "Jelín, Král, Růž, Ben, Fial, Sedl, Dolež, Zem, Kol, Navr, Čerm, Van, Urb, Bláž,"
                "Kříž, Kov, Bart, Vlč, Pol, Mus, Kop, Šim, Koneč, Mal, Hol, Štěp, Stan, Kadl,"
                "Dost, Souk, Šťast, Mor, Sýk, Tich, Val, Vávr, Matou, Bláh, Říh, Ševč, Bur, Hruš,"
                "Maš, Pavl, Duš, Jand, Hrub, Kub, Hron, Lukáč, Gajd, Orav, Kollár, Bal, Mik,"
                "Jur, Kraj, Ondr, Slez, Šebest, Vodič, Zelen, Žák, Lip, Strak, Kraus, Bednár",
                "ák, ek, ík, a, ý, ný, ský, ecký, oda, ka, ička, íček, íř, áč, ovič, ec, eš, ál,"
                "an, ík, _, ina, ár, ík",
            ),
        ),
        q=15,
        infix=_o("_, _, _, _, _, ov, an, ič, ín, ař, eč, ul, ot"),
    ),
    "ukrainian": Tail(
        (
            _t(
                1.0,
                "Koval, Bondar, Shevch, Tkach, Kravch, Meln, Boyk, Oliin, Lys, March, Moroz,"
                "Savch, Ivan, Smirn, Pop, Volk, Petr, Sydor, Kuzm, Pavl, Hryts, Rudn, Klym,"
                "Ponomar, Tymosh, Kuz, Poliak, Lytvyn, Kharch, Pylyp, Sav, Yakov, Vasyl,"
                "Oleksi, Demch, Fedor, Hnat, Panas, Roman, Kozak, Zinch, Kolesn, Levch, Mazur,"
                "Ostap, Prokop, Serh, Taras, Yurch, Zakharch, Sokol, Orl, Lebed, Solov, Vorob,"
                "Golub, Medved, Zaits, Kuznets, Novik, Kozl, Bel, Chern, Sedov, Hrab, Didenk",
                "enko, enko, enko, uk, chuk, yshyn, ov, ev, in, ych, skyi, ko, yk, iak, ets,"
                "ovych, ovskyi, ak, iuk, ovets",
            ),
        ),
        q=30,
        infix=_o("_, _, _, _, _, an, ov, ch, yn, ar, uk, iv, et, ol"),
    ),
    "balkan": Tail(
        (
            _t(
                0.5,
                "Has, Rexhep, Ahmet, Osman, Ismail, Al, Hysen, Kastrat, Zeqir, Halil, Sadik,"
                "Musl, Dervish, Bajram, Llesh, Kurt, Hot, Krye, Lim, Harad, Dibr, Xhaf, Ymer,"
                "Bekt, Daut, Fejz, Gjon, Hamz, Ibraj, Jashar, Kadr, Mehmet, Nazif, Qerim,"
                "Ramadan, Selim, Shab, Tahir, Uk, Vesel, Zenel, Bard, Brahim, Bytyq, Thaç, Shal",
                "i, aj, iu, ani, ku, ja, a, ollari, aku, i, i, aj",
            ),
            _t(
                0.5,
                "Petr, Jovan, Nikol, Hodž, Pop, Mark, Đorđ, Stojan, Il, Stank, Pavl, Miloš, Laz,"
                "Kovač, Tom, Hadž, Beg, Del, Mehmed, Hasan, Hus, Bab, Šar, Mil, Simon, Vuk, Rad,"
                "Živk, Mat, Bog, Dragan, Jank, Đur, Luk, Stef, Sav, Knež, Mitr, Vas, Zor, Ćos,"
                "Ran, Gaj, Bož, Obrad, Ten, Mus, Omer, Ibr, Sulj, Mujk, Salih, Avd, Alij, Bajr",
                "ović, ović, ević, ić, ić, ac, ski",
            ),
        ),
        q=15,
        infix=_o("_, _, _, _, _, an, ov, ar, ak, ol, ij, in, eg"),
    ),
    "western": Tail(
        (
            _t(
                0.3,
                "Schwarz, Weiß, Hof, Berg, Stein, Wald, Brand, Lang, Kurz, Klein, Groß, Neu,"
                "Alt, Holz, Feld, Bach, Haus, Roth, Lind, Ober, Nieder, Wolf, Fuchs, Bau, Kraus,"
                "Zimmer, Hart, Eich, Rosen, Sonnen, Kirch, Mühl, Brück, Schön, Hoff, Kapp, Reich",
                "mann, er, berg, stein, feld, bach, hof, huber, meier, hauser, inger, ler, ner,"
                "brand, wald, ke, el, dorf, ling, _",
            ),
            _t(
                0.25,
                "_, _, _, Le+, Du+, De la+",
                "Bois, Mont, Font, Roch, Chev, Gir, Ber, Lef, Mor, Bl, Rouss, Mich, Dur, Gaut,"
                "March, Faur, Lamb, Bonn, Fran, Maill, Garn, Clerc, Pell, Bouch, Guér, Perr,"
                "Ren, Vin, Coll, Fourn, Gauth, Mercier, Lebr, Morin",
                "ard, ot, el, in, et, ier, eau, ault, on, ais, and, aud, y, e",
            ),
            _t(
                0.2,
                "Ross, Bianc, Ferr, Espos, Roman, Colomb, Ricc, Marin, Grec, Brun, Gall, Cont,"
                "Mancin, Cost, Giordan, Rizz, Lombard, Morett, Barbier, Fontan, Sant, Marian,"
                "Rinald, Carus, Leon, Long, Gentil, Vital, Serr, Coppol, Marches, Paris, Vill,"
                "Fabbr, Bell, Mazz, Pellegrin, Palumb, Farin, Mont, Cattan, Moran, Silvestr",
                "i, o, ini, etti, ello, elli, one, ucci, acci, ano, ari, a",
            ),
            _t(
                0.25,
                "Will, John, Rob, Walk, Wright, Thomp, Whit, Hugh, Edw, Green, Hall, Wood, Harr,"
                "Lew, Mart, Jack, Clark, Turn, Hill, Scott, Coop, Ward, Morr, King, Wat, Bak,"
                "Ash, Brad, Cart, Chap, Fletch, Hold, Marsh, Newb, Park, Rich, Stan, Thorn,"
                "Black, Brook, Fair, Hart, Mill, Red, Stone, West, Win, Dal, Pen, Hud",
                "son, s, ley, ton, field, er, ford, ham, wood, well, by, worth, ridge, man,"
                "ington, ins, kins",
            ),
        ),
        q=40,
        infix=_o("_, _, _, _, _, en, el, ing, er, a, ert, and, ol"),
    ),
    "iberian": Tail(
        (
            _t(
                0.5,
                "Fern, Gonzál, Rodrígu, Lóp, Martín, Sánch, Pér, Góm, Jimén, Hernánd, Dí, Álvar,"
                "Muñ, Alons, Gutiérr, Domíngu, Vázqu, Ramír, Suár, Ortiz, Núñ, Méndez, Márqu,"
                "Ibáñ, Giménez, Benít, Sá, Velásqu, Rodr, Chá, Beníte, Enríqu, Fuent, Galv,"
                "Henríqu, Lu, Nar, Ordóñ, Quint, Rí, Sep, Telle, Vald, Yáñ, Zamor",
                "ez, es, o, a, ez, ez",
            ),
            _t(
                0.5,
                "Serran, Blanc, Mol, Moral, Delgad, Castr, Orteg, Rubi, Marín, Medin, Garrid,"
                "Castill, Lozan, Guerrer, Prie, Calv, Galleg, Herrer, Peñ, Cabrer, Carrasc,"
                "Caballer, Aguil, Santan, Hidalg, Monter, Durán, Santiag, Carmon, Cresp, Soto,"
                "Velasc, Moy, Parr, Brav, Gallard, Roj, Silv, Sant, Oliveir, Pereir, Ferreir,"
                "Carvalh, Almeid, Roch, Ribeir, Mont, Barr, Freit, Barbos, Pint, Lim, Teixeir,"
                "Machad, Araúj, Nasciment, Cardos, Marqu, Nun, Azeved, Moreir, Correi, Vian,"
                "Vieir, Cavalcant, Batist, Monteir, Fonsec, Soar, Mour, Tavar, Coelh, Rezend,"
                "Andrad, Cunh, Brand, Guimar, Queiroz, Figueired, Bezerr, Medeir, Quir",
                "o, a, es, eira, eiro, ado, edo, illo, ón, al, ar, ino, ana, as, os, ão, ães",
            ),
        ),
        q=6,
        infix=_o("_, _, _, _, _, ad, ar, iñ, ed, ol, in, uel, ell"),
    ),
    "thai": Tail(
        (
            _t(
                1.0,
                "Sri, Wong, Chai, Boon, Suk, Sawat, Porn, Kaew, Thong, Rat, Siri, Phrom, Saeng,"
                "Ngam, Charoen, Somboon, Pradit, Kiat, Sak, Intha, Ruang, Rung, Wat, Pan, Sin,"
                "Mongkol, Phet, Nop, Kong, Jai, Thani, Ubon, Udom, Yod, Thep, Kasem, Suwan,"
                "Klin, Sombat, Kham, Chan, Lert, Man, Buri, Pitak, Anan, Wiset, Phon, Chuen",
                "sakul, kul, phan, wong, porn, chai, sri, sawat, wattana, rak, dee, mee, ngam,"
                "tham, thong, kit, sin, siri, wan, arun, pong, rat, suk, boon, kaew, chart,"
                "phaibun, charoen, sombat, thawee, aram, sathit, thanakit, nakorn, kasem",
                "_, _, _, _, _, kul, sakul, wong, phan, porn, rat, chai, sin, ngam",
            ),
        ),
        q=400,
        vocabulary=400_000,
    ),
    "filipino": Tail(
        (
            _t(
                0.5,
                "_, _, _, _, Dela+, De+, Del+, San+",
                "Cruz, Rosa, Paz, Torre, Fuente, Peña, Rosario, Guzman, Leon, Castro, Pilar,"
                "Mundo, Rama, Vega, Costa, Pena, Luna, Rosal, Serna, Fuentes, Santos, Villa,"
                "Mercado, Aquino, Navarro, Domingo, Aguilar, Rivera, Pascual, Salazar, Soriano,"
                "Valdez, Tolentino, Ocampo, Javier, Dizon, Manalo, Lacson, Robles, Cabrera,"
                "Villareal, Esguerra, Evangelista, Ignacio, Macapagal, Padilla, Sison, Yap",
                "_, _, _, _, _, s, no, do",
            ),
            _t(
                0.5,
                "Ma, Mag, Pang, Dima, Ka, Ba, Da, Ta, Sa, Bu, Lu, Mang, Pa, Sto, Ca, Li, Ti",
                "caraeg, banua, culangan, gubat, aniban, lo, ngal, sigan, tangco, hinog, yag,"
                "lakas, tibay, nalo, bayan, lanta, ngit, ligaya, lisay, bulos, gayon, rangan,"
                "pagal, sungan, tulay, wili, yuga, dilao, mayo, bitin",
            ),
        ),
        q=20,
    ),
    "southasian": Tail(
        (
            _t(
                0.3,
                "Jaya, Wickrama, Guna, Rana, Dissa, Senana, Rajapak, Wijeya, Amara, Hettia,"
                "Kumara, Ratna, Abey, Weera, Siri, Karuna, Ekanay, Bandara, Herath, Dhar, Sama",
                "singhe, sekara, wardena, nayake, yake, sooriya, tunga, ratne, koon, pala,"
                "wansa, rachchi, sena, deera, weera, kody",
            ),
            _t(
                0.4,
                "Agar, Bans, Mal, Kap, Chop, Bhat, Seth, Ar, Sriv, Tiw, Dub, Pand, Mish, Trip,"
                "Chaturv, Dwiv, Sax, Khann, Meh, Jos, Des, Kulk, Desh, Bhar, Chatter, Banerj,"
                "Mukherj, Chakrab, Gar, Jain, Goy, Mitt, Sing, Rast, Bhard, Raj, Pat, Thak, Sol",
                "wal, al, oor, ra, ia, i, astava, athi, ena, ta, ani, ee, orty, kar, pande, war,"
                "ji, ey, wala, el, ore",
            ),
            _t(
                0.3,
                "Rahmat, Noor, Yousaf, Abdul, Zia, Shams, Fazl, Ihsan, Amin, Karam, Nasir, Aziz,"
                "Hafiz, Saif, Jamal, Rafiq, Tariq, Anwar, Sarfraz, Zahid, Shahid, Waqar, Imtiaz,"
                "Kamal, Mahmud, Mostafa, Hasan, Alam, Habib, Mia, Sikdar, Talukdar, Bhuiyan",
                "_, _, _, ullah, uddin, zai, khel, i, ani, hussain",
            ),
        ),
        q=5,
        infix=_o("_, _, _, _, _, a, an, ar, ee, ik, in, u, ra"),
    ),
    "mideast": Tail(
        (
            _t(
                0.45,
                "Ahmad, Hossein, Karim, Mohammad, Rahim, Habib, Nour, Reza, Jafar, Hassan,"
                "Mahmoud, Sadegh, Ghasem, Abbas, Akbar, Amir, Bagher, Davood, Ebrahim, Farhad,"
                "Ghafour, Hamid, Jalal, Kazem, Mansour, Nasser, Omid, Rashid, Taher, Yousef,"
                "Zaman, Salim, Kamal, Jamal, Bashir, Latif, Saeed, Tariq, Qader, Shams, Safa,"
                "Nazar, Golzar, Soltan, Mir, Khodadad, Asad, Heydar, Morad, Parviz, Shir",
                "i, zadeh, pour, nejad, ian, far, vand, abadi, lou, zai, khel, yar, i, i, ani,"
                "khani, dust, pur",
            ),
            _t(
                0.55,
                "Al+, Al+, Al+, _, _",
                "Ahmad, Hussein, Khatib, Masri, Halabi, Shami, Hamwi, Homsi, Jabouri, Dulaimi,"
                "Obeidi, Tamimi, Shammari, Rubaie, Janabi, Hashimi, Azzawi, Ani, Khalil, Yassin,"
                "Saleh, Hamdan, Aziz, Jaber, Mansour, Haddad, Nasser, Issa, Qasim, Darwish,"
                "Bakr, Omar, Kurdi, Barzani, Talabani, Hamad, Sulaiman, Ibrahim, Farouk, Khoury,"
                "Hakim, Rifai, Zoubi, Nuaimi, Shehadeh, Kassab, Mardini, Sabbagh, Attar, Kayyali",
                "_, _, _, _, _, i, a, ani",
            ),
        ),
        q=15,
        infix=_o("_, _, _, _, _, al, an, ar, ol, ab, ou, am, ir"),
    ),
    "vietnamese": Tail(
        # approximate shares (%) of the common Vietnamese family names
        weights=(
            *(38, 11, 9.5, 7, 5.1, 4.5, 3.9, 2.1, 2, 1.4, 1.3, 1.3, 1, 0.5),
            *(0.9, 0.8, 0.7, 0.6, 0.6, 0.5, 0.5, 0.4, 0.4, 0.3, 0.3, 0.3, 0.3, 0.2, 0.2, 0.2),
            *(0.2, 0.2, 0.15, 0.15, 0.1, 0.1, 0.1, 0.1),
        ),
    ),
    "chinese": Tail(q=3),
}


_VN_F = (
    "Lan, Hoa, Huong, Mai, Thu, Hanh, Ngoc, Linh, Phuong, Trang, Anh, Ha, Hang, Hien, Hue,"
    "Huyen, Lien, Loan, Ly, Nga, Nhung, Oanh, Quyen, Tam, Thao, Thuy, Tuyet, Uyen, Van, Vy,"
    "Xuan, Yen, Dung, Giang, Diep, Chau, Cuc, Dao, Hau, Khanh, Kieu, Minh, Nhi, Quynh, Tien,"
    "Trinh, Tu, Vien, Nhan, Sen"
)
_VN_M = (
    "Nam, Hung, Tuan, Anh, Long, Huy, Thanh, Duc, Hai, Dung, Cuong, Hieu, Hoang, Khanh, Kien,"
    "Linh, Loc, Minh, Phong, Phuc, Quan, Son, Tai, Thang, Thinh, Toan, Trung, Tu, Vinh, Vu,"
    "Bao, Binh, Chien, Dat, Duy, Hao, Hiep, Hoa, Khoa, Lam, Luan, Nghia, Nhat, Phat, Quoc,"
    "Sang, Tam, Tien, Trong, Truong"
)
_ZH_F = (
    "Li, Na, Xiu, Ying, Mei, Ling, Jing, Yan, Hui, Fang, Xiao, Hong, Min, Yu, Xin, Lan, Qing,"
    "Hua, Juan, Ping, Yun, Jie, Ting, Ya, Wen, Lin, Shu, Xia, Zhen, Dan, Qian, Rui, Fei, Lu"
)
_ZH_M = (
    "Wei, Jun, Lei, Qiang, Hao, Ming, Jian, Tao, Yong, Bo, Gang, Hui, Jie, Peng, Chao, Hua,"
    "Feng, Long, Bin, Kai, Xin, Yang, Zhi, Guo, Dong, Hai, Lin, Cheng, Liang, Rong, Yi, Zhong,"
    "Jia, Hong, Sheng, An"
)

# Given names where the language builds them from syllables (keys "culture:female|male").
TAILS.update(
    {
        "vietnamese:female": Tail(
            (
                _t(0.55, "Thi+", _VN_F),
                _t(0.45, "Ngoc+, Thu+, Kim+, Thanh+, Bich+, Hong+, My+, Phuong+, Thi+", _VN_F),
            ),
            q=10,
            vocabulary=5_000,
        ),
        "vietnamese:male": Tail(
            (
                _t(0.45, "Van+", _VN_M),
                _t(
                    0.55,
                    "Duc+, Minh+, Quang+, Hoang+, Huu+, Thanh+, Ngoc+, Cong+, Dinh+, Xuan+,"
                    "Tuan+, Manh+, Van+",
                    _VN_M,
                ),
            ),
            q=10,
            vocabulary=5_000,
        ),
        "chinese:female": Tail(
            (_t(0.3, _ZH_F), _t(0.7, _ZH_F.replace(",", "+,") + "+", _ZH_F)),
            q=10,
            vocabulary=5_000,
        ),
        "chinese:male": Tail(
            (_t(0.3, _ZH_M), _t(0.7, _ZH_M.replace(",", "+,") + "+", _ZH_M)),
            q=10,
            vocabulary=5_000,
        ),
    }
)

# ------------------------------------------------------------------------------ drawing


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, vectorised (uint64 arithmetic wraps)."""
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _salt(culture: str) -> int:
    h = 1469598103934665603
    for ch in culture.encode():
        h = ((h ^ ch) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h >> 16


def vocabulary_size(culture: str, head: int) -> int:
    t = TAILS.get(culture, Tail())
    return max(head, t.vocabulary) if t.templates else head


def rank_weights(culture: str, head: int) -> np.ndarray:
    """Zipf-Mandelbrot probabilities of ranks 0 .. V-1 (rank 0 is the most common name)."""
    t = TAILS.get(culture, Tail())
    v = vocabulary_size(culture, head)
    w = (np.arange(1, v + 1, dtype=np.float64) + t.q) ** -t.s
    if t.weights:
        k = min(len(t.weights), v)
        w = np.full(v, min(t.weights), dtype=np.float64)
        w[:k] = t.weights[:k]
    return w / w.sum()


def invent(culture: str, ranks: np.ndarray) -> list[str]:
    """The invented names of tail ``ranks`` (any ints; deterministic, no random stream)."""
    t = TAILS[culture]
    r = np.asarray(ranks, dtype=np.uint64)
    if len(r) == 0:
        return []
    base = _mix(r + np.uint64((_salt(culture) << 24) & 0xFFFFFFFFFFFFFFFF))
    tw = np.cumsum([w for w, _ in t.templates])
    u = (_mix(base ^ np.uint64(0x5151)) >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    which = np.minimum(np.searchsorted(tw / tw[-1], u, side="right"), len(tw) - 1)
    max_slots = max(len(s) for _, s in t.templates)
    picks = [
        (
            _mix(base + np.uint64(((k + 1) * 0x632BE59BD9B4E019) & 0xFFFFFFFFFFFFFFFF))
            >> np.uint64(16)
        )
        for k in range(max_slots)
    ]
    picks = np.stack(picks, axis=1) if max_slots else np.empty((len(r), 0), np.uint64)
    infix = (_mix(base ^ np.uint64(0x1F1F)) >> np.uint64(16)).tolist()
    out = []
    templates = [s for _, s in t.templates]
    for ti, row, h_in in zip(which.tolist(), picks.tolist(), infix, strict=True):
        slots = templates[ti]
        parts = [opts[h % len(opts)] for opts, h in zip(slots, row, strict=False)]
        if t.infix and len(parts) >= 2:
            parts.insert(len(parts) - 1, t.infix[h_in % len(t.infix)])
        out.append(_assemble(parts))
    return out


def _assemble(parts: list[str]) -> str:
    prefix = ""
    body = ""
    for p in parts:
        if not p:
            continue
        if p.endswith(" ") and not body:
            prefix += p
        elif not body:
            body = p
        else:
            body += p.lower() if not body.endswith(" ") else p
    if not body:
        return prefix.strip()
    return prefix + body[0].upper() + body[1:]
