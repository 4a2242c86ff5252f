"""Synthetic name pools per name culture (invented from common given and family names).

These are lists of common names, not records of persons: a synthetic person gets a random
combination, so any resemblance to a real person is a coincidence of common names.

All name strings of an edition live in one :class:`NamePool`; persons and registrations carry
integer indices into it (cheap at a million rows), and noise appends its variants to the pool.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from traffickingmonitor.synthetic import name_morphology as morph


def _w(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())


@dataclass(frozen=True)
class Culture:
    female: tuple[str, ...]
    male: tuple[str, ...]
    family: tuple[str, ...]
    second_given: float = 0.0  # share of persons with two given names
    family_female: str = ""  # rule for the female form of family names (pl, bg, ua, cz, baltic)


CULTURES: dict[str, Culture] = {
    "dutch": Culture(
        _w(
            "Emma, Sophie, Julia, Anna, Lisa, Sanne, Lotte, Eva, Fleur, Femke, Iris, Kim, Laura,"
            "Linda, Marloes, Naomi, Noa, Romy, Sara, Tess, Britt, Demi, Esmee, Ilse, Jasmijn,"
            "Joyce, Manon, Maud, Mirjam, Nicole, Petra, Yvonne, Chantal, Daphne, Elise, Inge,"
            "Karin, Melissa, Shanna, Johanna, Maria, Wilhelmina, Cornelia, Hendrika"
        ),
        _w(
            "Daan, Sem, Lucas, Levi, Thijs, Jesse, Bram, Ruben, Stijn, Tim, Tom, Lars, Niels,"
            "Jeroen, Kevin, Mark, Dennis, Rick, Mike, Sander, Bas, Jordy, Mitchell, Ricardo,"
            "Jayden, Milan, Thomas, Sven, Joost, Wouter, Johannes, Cornelis, Hendrik, Pieter"
        ),
        _w(
            "de Jong, Jansen, de Vries, van den Berg, van Dijk, Bakker, Janssen, Visser, Smit,"
            "Meijer, de Boer, Mulder, de Groot, Bos, Vos, Peters, Hendriks, van Leeuwen, Dekker,"
            "Brouwer, de Wit, Dijkstra, Smits, de Graaf, van der Meer, van der Linden, Kok,"
            "Jacobs, de Haan, Vermeulen, van den Heuvel, van der Veen, van den Broek, de Bruijn,"
            "van der Heijden, Schouten, van Beek, Willems, van Vliet, Hoekstra, Maas,"
            "Verhoeven, Koster, van Dam, Prins, Blom, Huisman, Kuipers, Postma, Veenstra"
        ),
        second_given=0.35,
    ),
    "surinamese": Culture(
        _w(
            "Shanice, Giovanna, Sharon, Priscilla, Rachelle, Natasha, Anousha, Shirley, Kimberly,"
            "Chanel, Romaisa, Denise, Sabrina, Jennifer, Sherida"
        ),
        _w(
            "Ricardo, Romano, Marciano, Dwayne, Rodney, Glenn, Clyde, Anand, Ravi, Sunil, Quincy,"
            "Rigello, Dario, Jermaine, Stanley"
        ),
        _w(
            "Pinas, Sewdien, Ramdin, Soekhoe, Wijngaarde, Kasanpawiro, Doelwijt, Bhagwandin,"
            "Ramcharan, Sitaldin, Kensmil, Landveld, Redjopawiro, Zeegelaar, Eersteling, Nelom"
        ),
        second_given=0.2,
    ),
    "maghreb": Culture(
        _w(
            "Fatima, Khadija, Aicha, Nadia, Samira, Yasmina, Meryem, Salma, Hanane, Zineb,"
            "Rania, Nour, Layla, Amal, Imane, Soumaya, Ikram, Hafsa"
        ),
        _w(
            "Mohamed, Ahmed, Youssef, Mustafa, Hamza, Bilal, Karim, Omar, Said, Rachid, Ali,"
            "Hassan, Khalid, Anas, Ayoub, Ismail, Mehdi, Nabil"
        ),
        _w(
            "El Amrani, Benali, Bouzid, El Idrissi, Haddou, Ait Ouali, Azzouzi, Belhaj,"
            "El Khatib, Mansouri, Saidi, Tahiri, Ouahabi, Cherkaoui, Al Hassan, Haddad, Khalil,"
            "Ibrahim, Darwish, Nasser, Boukhari, El Ouali, Ziani, Amrani"
        ),
    ),
    "turkish": Culture(
        _w("Ayşe, Fatma, Zeynep, Elif, Emine, Hatice, Merve, Büşra, Esra, Seda, Tuğba, Gül"),
        _w("Mehmet, Mustafa, Ahmet, Ali, Hüseyin, Hasan, Murat, Emre, Burak, Serkan, Yusuf"),
        _w(
            "Yılmaz, Kaya, Demir, Şahin, Çelik, Yıldız, Yıldırım, Öztürk, Aydın, Özdemir,"
            "Arslan, Doğan, Kılıç, Aslan, Çetin, Kara, Koç, Kurt"
        ),
    ),
    "nigerian": Culture(
        _w(
            "Blessing, Joy, Favour, Precious, Gift, Esther, Mercy, Peace, Faith, Patience, Grace,"
            "Osas, Osaretin, Efe, Adaeze, Chiamaka, Ngozi, Chioma, Funmilayo, Folake, Aisha,"
            "Hauwa, Abosede, Ifeoma, Nneka, Omoye, Itohan, Ivie, Success, Happiness"
        ),
        _w(
            "Emeka, Chinedu, Oluwaseun, Tunde, Segun, Ibrahim, Musa, Osagie, Osaro, Ehis, Uche,"
            "Ikenna, Obinna, Femi, Kelechi, Yusuf, Godwin, Friday, Sunday, Samuel, Daniel"
        ),
        _w(
            "Okafor, Okonkwo, Adeyemi, Ogunleye, Eze, Nwosu, Osagie, Igbinedion, Omoregie,"
            "Edosomwan, Obaseki, Aigbe, Ehigiator, Uwadia, Osaghae, Adebayo, Balogun, Bello,"
            "Ibrahim, Musa, Abubakar, Okeke, Nwachukwu, Chukwu, Onyeka, Idahosa, Iyamu,"
            "Osayande, Akpan, Etim, Ogbebor, Eghosa, Aimufua, Usman"
        ),
        second_given=0.25,
    ),
    "ghanaian": Culture(
        _w("Akosua, Ama, Abena, Adwoa, Efua, Esi, Akua, Yaa, Afia, Comfort, Gifty, Vida"),
        _w("Kwame, Kofi, Kwabena, Kwaku, Yaw, Kojo, Kwasi, Emmanuel, Isaac, Ebenezer"),
        _w(
            "Mensah, Owusu, Boateng, Asante, Osei, Addo, Appiah, Agyeman, Amoah, Ofori, Darko,"
            "Acheampong, Badu, Gyamfi, Quaye, Tetteh"
        ),
        second_given=0.3,
    ),
    "ugandan": Culture(
        _w(
            "Nakato, Namubiru, Nansubuga, Nabirye, Achieng, Akello, Atim, Auma, Florence, Grace,"
            "Sarah, Harriet, Brenda, Doreen, Esther, Joan, Prossy, Shamim, Sylvia, Winnie,"
            "Immaculate, Juliet, Agnes, Scovia"
        ),
        _w(
            "Okello, Ochieng, Mugisha, Tumusiime, Kato, Wasswa, Ssemakula, Ssali, Moses, Isaac,"
            "Joseph, Ronald, Brian, Denis, Geoffrey, Patrick, Robert, Emmanuel"
        ),
        _w(
            "Nakato, Namutebi, Mugisha, Byaruhanga, Tumusiime, Ssempijja, Kiggundu, Lubega,"
            "Mukasa, Ssekandi, Okello, Opio, Odongo, Ouma, Atuhaire, Ainembabazi, Kyomuhendo,"
            "Nabukenya, Kato, Wamala, Nalwoga, Nakitende, Birungi, Ainomugisha"
        ),
        second_given=0.3,
    ),
    "horn": Culture(
        _w(
            "Helen, Senait, Selam, Meron, Hiwet, Saba, Yordanos, Mebrat, Luwam, Winta, Ruth,"
            "Fatuma, Hodan, Amina, Sahra"
        ),
        _w(
            "Yonas, Tesfay, Filmon, Dawit, Haile, Berhane, Mehari, Samuel, Tekle, Yohannes,"
            "Abdi, Mohamed, Ahmed, Hassan"
        ),
        _w(
            "Tesfamariam, Gebremedhin, Haile, Kidane, Tekle, Berhe, Abraha, Woldu, Habte,"
            "Mebrahtu, Asfaha, Ghebre, Tesfay, Yemane, Abdullahi, Warsame, Farah, Hussein"
        ),
    ),
    "westafrican": Culture(
        _w(
            "Fatou, Isatou, Mariama, Awa, Haddy, Binta, Aminata, Kaddy, Ndey, Jainaba, Oumie,"
            "Sainabou, Fanta, Kadiatou, Hawa"
        ),
        _w(
            "Lamin, Ousman, Ebrima, Modou, Alieu, Momodou, Bakary, Omar, Sheriff, Abdoulie, Musa,"
            "Yusupha, Saikou, Babucarr, Mamadou, Ibrahima, Sekou, Alpha"
        ),
        _w(
            "Jallow, Bah, Ceesay, Jammeh, Touray, Sowe, Darboe, Sanneh, Camara, Njie, Drammeh,"
            "Manneh, Sillah, Jobe, Saidy, Fofana, Conteh, Kamara, Sesay, Diallo, Barry, Sylla,"
            "Traoré, Koroma, Bangura"
        ),
    ),
    "polish": Culture(
        _w(
            "Anna, Katarzyna, Magdalena, Agnieszka, Joanna, Monika, Aleksandra, Małgorzata, Ewa,"
            "Karolina, Natalia, Paulina, Justyna, Marta, Beata, Dorota, Sylwia"
        ),
        _w(
            "Piotr, Krzysztof, Tomasz, Paweł, Michał, Marcin, Jakub, Łukasz, Kamil, Mateusz,"
            "Adam, Grzegorz, Dariusz, Sebastian, Rafał, Marek, Wojciech"
        ),
        _w(
            "Nowak, Kowalski, Wiśniewski, Wójcik, Kowalczyk, Kamiński, Lewandowski, Zieliński,"
            "Szymański, Woźniak, Dąbrowski, Kozłowski, Jankowski, Mazur, Kwiatkowski, Krawczyk,"
            "Piotrowski, Grabowski, Nowakowski, Pawłowski, Michalski, Król, Wieczorek"
        ),
        second_given=0.1,
        family_female="pl",
    ),
    "romanian": Culture(
        _w(
            "Maria, Elena, Ioana, Andreea, Alexandra, Mihaela, Cristina, Gabriela, Roxana,"
            "Daniela, Florentina, Georgiana, Alina, Ramona, Nicoleta, Larisa"
        ),
        _w(
            "Ion, Andrei, Alexandru, Mihai, Constantin, Florin, Marius, Gheorghe, Vasile, Adrian,"
            "Cristian, Ionuț, Bogdan, Daniel, Sorin, Cătălin"
        ),
        _w(
            "Popescu, Ionescu, Popa, Pop, Radu, Dumitru, Stan, Stoica, Gheorghe, Matei, Ciobanu,"
            "Rusu, Munteanu, Constantin, Florea, Dinu, Lungu, Sandu, Moldovan, Marin, Tudor,"
            "Ursu, Rotaru"
        ),
        second_given=0.3,
    ),
    "bulgarian": Culture(
        _w(
            "Maria, Ivanka, Elena, Yordanka, Desislava, Gergana, Petya, Radka, Silviya, Svetla,"
            "Nadezhda, Tsvetelina"
        ),
        _w("Georgi, Ivan, Dimitar, Nikolay, Petar, Hristo, Stoyan, Todor, Vasil, Yordan, Krasimir"),
        _w(
            "Ivanov, Georgiev, Dimitrov, Petrov, Nikolov, Hristov, Stoyanov, Todorov, Iliev,"
            "Vasilev, Atanasov, Angelov, Kostov, Marinov, Popov"
        ),
        family_female="bg",
    ),
    "hungarian": Culture(
        _w(
            "Mária, Erzsébet, Katalin, Éva, Zsófia, Anna, Ilona, Krisztina, Nikolett, Vivien, Judit"
        ),
        _w("László, István, József, János, Zoltán, Sándor, Gábor, Attila, Tamás, Péter, Ferenc"),
        _w(
            "Nagy, Kovács, Tóth, Szabó, Horváth, Varga, Kiss, Molnár, Németh, Farkas, Balogh,"
            "Lakatos, Oláh, Papp, Takács, Juhász"
        ),
    ),
    "baltic": Culture(
        _w("Ingrida, Jurgita, Laura, Kristina, Ieva, Liga, Inga, Rasa, Agne, Kristine, Anna"),
        _w("Tomas, Mindaugas, Darius, Andris, Janis, Edgars, Marius, Aivars, Rolands, Jonas"),
        _w(
            "Kazlauskas, Petrauskas, Jankauskas, Vaitkus, Bērziņš, Kalniņš, Ozols, Liepa, Tamm,"
            "Saar, Sepp, Žukauskas, Balodis, Krūmiņš"
        ),
        family_female="baltic",
    ),
    "czsk": Culture(
        _w("Jana, Eva, Lucia, Petra, Lenka, Zuzana, Monika, Veronika, Martina, Katarína"),
        _w("Peter, Martin, Jan, Marek, Jaroslav, Lukáš, Tomáš, Michal, Ondřej, Juraj"),
        _w("Novák, Kováč, Varga, Svoboda, Dvořák, Baláž, Horák, Tóth, Černý, Procházka, Kučera"),
        family_female="cz",
    ),
    "ukrainian": Culture(
        _w(
            "Olena, Oksana, Natalia, Iryna, Tetiana, Yulia, Kateryna, Svitlana, Anastasia,"
            "Viktoria, Olga, Tatiana, Daria"
        ),
        _w(
            "Oleksandr, Andriy, Serhiy, Dmytro, Volodymyr, Mykola, Ivan, Yuriy, Vasyl, Taras,"
            "Sergei, Alexei"
        ),
        _w(
            "Kovalenko, Bondarenko, Shevchenko, Tkachenko, Kravchenko, Melnyk, Boyko, Oliinyk,"
            "Lysenko, Marchenko, Moroz, Savchenko, Ivanov, Smirnov, Popov, Volkov"
        ),
        family_female="ua",
    ),
    "balkan": Culture(
        _w(
            "Elira, Arjola, Blerta, Jonida, Dorina, Ana, Milica, Jelena, Vjosa, Drita, Marija,Ivana"
        ),
        _w("Arben, Besnik, Ilir, Gentian, Dritan, Marko, Nikola, Stefan, Fatmir, Luan, Dejan"),
        _w(
            "Hoxha, Shehu, Gashi, Berisha, Krasniqi, Kola, Marku, Petrović, Jovanović, Nikolić,"
            "Hodžić, Kelmendi, Morina, Popović"
        ),
    ),
    "western": Culture(
        _w(
            "Marie, Laura, Julia, Sarah, Chiara, Giulia, Emily, Charlotte, Léa, Lena, Hannah,"
            "Manon, Francesca, Jessica"
        ),
        _w(
            "Thomas, Jan, Pierre, Luca, Marco, James, David, Nicolas, Lukas, Maximilian, Kevin,"
            "Julien, Alessandro, Daniel"
        ),
        _w(
            "Müller, Schmidt, Schneider, Fischer, Martin, Bernard, Dubois, Rossi, Russo, Bianchi,"
            "Smith, Jones, Peeters, Maes, Wagner, Becker, Moreau, Ferrari, Taylor, Williams"
        ),
        second_given=0.2,
    ),
    "iberian": Culture(
        _w(
            "Maria, Ana, Juliana, Fernanda, Camila, Gabriela, Daniela, Paola, Carolina, Yesenia,"
            "Luisa, Patricia, Adriana, Beatriz"
        ),
        _w(
            "José, Carlos, Luis, João, Pedro, Juan, Miguel, Rafael, Diego, Andrés, Jorge,"
            "Francisco, Antonio"
        ),
        _w(
            "Silva, Santos, Oliveira, Souza, Pereira, Rodrigues, García, Martínez, López,"
            "González, Hernández, Pérez, Gómez, Rodríguez, Ferreira, Costa, Ramírez, Torres"
        ),
        second_given=0.4,
    ),
    "vietnamese": Culture(
        _w(
            "Thi Lan, Thi Hoa, Thi Huong, Thi Mai, Thi Thu, Thi Hanh, Thi Ngoc, Thi Linh,"
            "Thi Phuong, Thi Trang"
        ),
        _w(
            "Van Nam, Van Hung, Minh Tuan, Duc Anh, Van Long, Quang Huy, Van Thanh, Minh Duc,"
            "Van Hai, Hoang Nam"
        ),
        _w(
            "Nguyen, Tran, Le, Pham, Hoang, Phan, Vu, Dang, Bui, Do, Ho, Ngo, Duong, Ly, Huynh,"
            "Truong, Vo, Dinh, Lam, Mai, Trinh, Dao, Cao, Luong, Luu, Ha, Ta, Quach, Thai, Chau,"
            "Ton, Kieu, Tong, Lai, Khuc, Tieu, Doan, Van"
        ),
    ),
    "chinese": Culture(
        _w("Li Na, Xiu Ying, Mei Ling, Jing, Yan, Hui, Fang, Xiao Hong, Min, Ling"),
        _w("Wei, Jun, Lei, Qiang, Hao, Ming, Jian, Tao, Yong, Bo"),
        _w(
            "Wang, Li, Zhang, Liu, Chen, Yang, Huang, Zhao, Wu, Zhou, Xu, Sun, Ma, Zhu, Hu, Guo,"
            "He, Gao, Lin, Luo, Zheng, Liang, Xie, Song, Tang, Han, Feng, Deng, Cao, Peng, Zeng,"
            "Xiao, Tian, Dong, Pan, Yuan, Cai, Jiang, Yu, Du, Ye, Cheng, Wei, Su, Lü, Ding, Ren,"
            "Lu, Yao, Shen, Zhong, Cui, Tan, Fan, Jin, Shi, Liao, Jia, Xia, Fu, Fang, Bai, Zou,"
            "Meng, Xiong, Qin, Qiu, Hou, Yin, Xue, Yan, Duan, Lei, Long, Shao, Qian, Hao, Kong,"
            "Kang, Mao, Wan, Gu, Lai, Mo, Tao, Chang, Hong, Kuang, Ou, Wen, Niu, Zhuang, Gong"
        ),
    ),
    "thai": Culture(
        _w("Siriporn, Malee, Nittaya, Pornthip, Supaporn, Wanida, Sunisa, Kanya, Ratana, Jintana"),
        _w("Somchai, Somsak, Anan, Prasert, Surachai, Wichai, Boonsong"),
        _w(
            "Saetang, Srisuk, Wongsawat, Chaiyaporn, Boonmee, Thongchai, Kaewkla, Phromma,"
            "Sukprasert, Jaidee"
        ),
    ),
    "filipino": Culture(
        _w("Maria, Jennifer, Rowena, Marites, Lorna, Jocelyn, Maricel, Rosalie, Analyn, Cristina"),
        _w("Jose, Mark, John Paul, Jerome, Rodel, Ramon, Arnel, Joel"),
        _w(
            "Santos, Reyes, Cruz, Bautista, Garcia, Mendoza, Dela Cruz, Ramos, Villanueva,"
            "Castillo, Flores, Gonzales, Torres"
        ),
        second_given=0.3,
    ),
    "southasian": Culture(
        _w("Priya, Anjali, Pooja, Sunita, Kavita, Ayesha, Sana, Nusrat, Farzana, Lakshmi, Deepa"),
        _w("Rahul, Amit, Sanjay, Vijay, Rajesh, Imran, Faisal, Arjun, Mohammad, Abdul, Ravi"),
        _w(
            "Singh, Kumar, Sharma, Patel, Khan, Ali, Hussain, Gupta, Das, Reddy, Rahman, Ahmed,"
            "Begum, Chowdhury, Perera"
        ),
    ),
    "mideast": Culture(
        _w("Fatima, Maryam, Zahra, Leila, Noor, Rana, Hiba, Dina, Sara, Shirin, Farida"),
        _w(
            "Mohammad, Ahmad, Ali, Hussein, Omar, Mahmoud, Khaled, Reza, Tariq, Jamal, Rahim,"
            "Abdullah"
        ),
        _w(
            "Al Ahmad, Haddad, Hussein, Rahimi, Ahmadi, Hosseini, Karimi, Mohammadi, Saleh,"
            "Hamdan, Aziz, Habibi, Nouri, Jaber, Mansour"
        ),
    ),
}

# Nationality (ISO alpha-2) to name culture; the default is "western".
NATIONALITY_CULTURE: dict[str, str] = {
    "NL": "dutch",
    "SR": "surinamese",
    "MA": "maghreb",
    "DZ": "maghreb",
    "LY": "maghreb",
    "EG": "maghreb",
    "TR": "turkish",
    "NG": "nigerian",
    "GH": "ghanaian",
    "CM": "ghanaian",
    "UG": "ugandan",
    "KE": "ugandan",
    "ER": "horn",
    "ET": "horn",
    "SO": "horn",
    "SD": "horn",
    "GM": "westafrican",
    "SN": "westafrican",
    "GN": "westafrican",
    "SL": "westafrican",
    "ML": "westafrican",
    "CI": "westafrican",
    "PL": "polish",
    "RO": "romanian",
    "MD": "romanian",
    "BG": "bulgarian",
    "HU": "hungarian",
    "LT": "baltic",
    "LV": "baltic",
    "EE": "baltic",
    "SK": "czsk",
    "CZ": "czsk",
    "UA": "ukrainian",
    "RU": "ukrainian",
    "BY": "ukrainian",
    "AL": "balkan",
    "XK": "balkan",
    "RS": "balkan",
    "BA": "balkan",
    "ES": "iberian",
    "PT": "iberian",
    "BR": "iberian",
    "CO": "iberian",
    "DO": "iberian",
    "VE": "iberian",
    "AO": "iberian",
    "VN": "vietnamese",
    "CN": "chinese",
    "TH": "thai",
    "PH": "filipino",
    "IN": "southasian",
    "PK": "southasian",
    "BD": "southasian",
    "LK": "southasian",
    "SY": "mideast",
    "IQ": "mideast",
    "IR": "mideast",
    "AF": "mideast",
}

# Dutch citizens have mixed heritage: the culture of their names.
DUTCH_MIX = {"dutch": 0.80, "surinamese": 0.06, "maghreb": 0.06, "turkish": 0.05, "western": 0.03}

CULTURE_NAMES: tuple[str, ...] = tuple(CULTURES)


def culture_of(nationality: str) -> str:
    return NATIONALITY_CULTURE.get(nationality, "western")


def _female_family(name: str, rule: str) -> str:
    if rule == "pl":
        for a, b in (("dzki", "dzka"), ("cki", "cka"), ("ski", "ska")):
            if name.endswith(a):
                return name[: -len(a)] + b
        return name
    if rule in ("bg", "ua"):
        if name.endswith(("ov", "ev", "in")):
            return name + "a"
        for a, b in (("skyi", "ska"), ("ski", "ska")):
            if name.endswith(a):
                return name[: -len(a)] + b
        return name
    if rule == "cz":
        if name.endswith("ý"):
            return name[:-1] + "á"
        if name.endswith("a"):
            return name[:-1] + "ová"
        if name.endswith(("ek", "ec")) and len(name) > 4:
            return name[:-2] + name[-1] + "ová"
        return name if name[-1] in "eiouáéíóú" else name + "ová"
    if rule == "baltic":
        for a, b in (
            ("kas", "kienė"),
            ("ons", "one"),
            ("āns", "āne"),
            ("us", "ienė"),
            ("š", "a"),
            ("is", "e"),
            ("ys", "ienė"),
            ("as", "ienė"),
            ("s", "a"),
        ):
            if name.endswith(a):
                return name[: -len(a)] + b
    return name


@dataclass
class NamePool:
    """All name strings of an edition; rows carry int32 indices into ``strings``."""

    strings: list[str] = field(default_factory=list)
    _index: dict[str, int] = field(default_factory=dict)

    def intern(self, s: str) -> int:
        i = self._index.get(s)
        if i is None:
            i = len(self.strings)
            self.strings.append(s)
            self._index[s] = i
        return i

    def intern_many(self, items) -> np.ndarray:
        return np.fromiter((self.intern(s) for s in items), dtype=np.int32)


@dataclass
class _CultureIndex:
    name: str
    female: np.ndarray
    male: np.ndarray
    family_f: np.ndarray
    family_m: np.ndarray
    second_given: float
    family_female: str


def build_pool() -> tuple[NamePool, dict[str, _CultureIndex]]:
    pool = NamePool()
    index: dict[str, _CultureIndex] = {}
    for name, c in CULTURES.items():
        index[name] = _CultureIndex(
            name=name,
            female=pool.intern_many(c.female),
            male=pool.intern_many(c.male),
            family_f=pool.intern_many(_female_family(f, c.family_female) for f in c.family),
            family_m=pool.intern_many(c.family),
            second_given=c.second_given,
            family_female=c.family_female,
        )
    return pool, index


def _draw_ranks(rng: np.random.Generator, key: str, head: int, n: int) -> np.ndarray:
    """Ranks (0 = most common) of ``n`` names: Zipf-Mandelbrot over the head and the tail."""
    p = morph.rank_weights(key, head)
    return rng.choice(len(p), size=n, p=p)


def _materialise(
    pool: NamePool,
    key: str,
    ranks: np.ndarray,
    head_ids: np.ndarray,
    transform=None,
) -> np.ndarray:
    """Pool indices of the names of ``ranks``: the curated head, then invented names."""
    uniq, inv = np.unique(ranks, return_inverse=True)
    ids = np.empty(len(uniq), np.int32)
    in_head = uniq < len(head_ids)
    ids[in_head] = head_ids[uniq[in_head]]
    tail = uniq[~in_head]
    if len(tail):
        strs = morph.invent(key, tail)
        if transform is not None:
            strs = [transform(x) for x in strs]
        ids[~in_head] = pool.intern_many(strs)
    return ids[inv]


def assign_names(
    rng: np.random.Generator,
    culture: np.ndarray,
    female: np.ndarray,
    pool: NamePool,
    index: dict[str, _CultureIndex],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(family, given_names, first_given) indices into ``pool`` for each person.

    ``culture`` holds indices into CULTURE_NAMES; ``female`` is a bool array (persons of sex
    other draw from either list). Family names follow a long-tailed frequency per culture
    (see :mod:`traffickingmonitor.synthetic.name_morphology`); a woman gets the female form
    of the same family name where the language has one.
    """
    n = len(culture)
    family = np.empty(n, np.int32)
    first = np.empty(n, np.int32)
    second = np.full(n, -1, np.int32)
    for ci, cname in enumerate(CULTURE_NAMES):
        ix = index[cname]
        sel_all = np.flatnonzero(culture == ci)
        if len(sel_all) == 0:
            continue
        ranks = _draw_ranks(rng, cname, len(ix.family_m), len(sel_all))
        is_f = female[sel_all]
        for want_f in (True, False):
            part = is_f == want_f
            if not part.any():
                continue
            rule = ix.family_female
            family[sel_all[part]] = _materialise(
                pool,
                cname,
                ranks[part],
                ix.family_f if want_f else ix.family_m,
                (lambda x, rule=rule: _female_family(x, rule)) if want_f and rule else None,
            )
        for is_fem in (True, False):
            sel = sel_all[is_f == is_fem]
            if len(sel) == 0:
                continue
            given = ix.female if is_fem else ix.male
            key = f"{cname}:{'female' if is_fem else 'male'}"
            if key in morph.TAILS:
                first[sel] = _materialise(
                    pool, key, _draw_ranks(rng, key, len(given), len(sel)), given
                )
                sec = _materialise(pool, key, _draw_ranks(rng, key, len(given), len(sel)), given)
                two = rng.random(len(sel)) < ix.second_given
            else:
                # common names are more common: Zipf-like weights over the list order
                gw = 1.0 / np.arange(1, len(given) + 1) ** 0.6
                first[sel] = given[rng.choice(len(given), size=len(sel), p=gw / gw.sum())]
                two = rng.random(len(sel)) < ix.second_given
                sec = given[rng.choice(len(given), size=len(sel), p=gw / gw.sum())]
            ok = two & (sec != first[sel])
            second[sel[ok]] = sec[ok]
    # given_names string: the first given name, or "first second"
    given_full = first.copy()
    has2 = np.flatnonzero(second >= 0)
    if len(has2):
        key = first[has2].astype(np.int64) * (1 << 31) + second[has2]
        uniq, inv = np.unique(key, return_inverse=True)
        strs = pool.strings
        ids = pool.intern_many(
            f"{strs[k >> 31]} {strs[k & ((1 << 31) - 1)]}" for k in uniq.tolist()
        )
        given_full[has2] = ids[inv]
    return family, given_full, first
