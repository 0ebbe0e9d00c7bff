"""Article texts for the replay snapshots (see flows/snapshots/README.md for what is real and what is filler).

FILLER texts are written for kcorpus in the style of the originals: they are not KCNA or memoir text and
must never be cited as such. Only the two seeds are real captured text.
"""

# GlobalSecurity 2010 KCNA reposts other than the seed: (file stem, title, dateline date, paragraphs).
# All FILLER, in KCNA's style.
GS_ARTICLES = [
    ("dprk-100909-kcna01", "Founding Anniversary of DPRK Celebrated", "September 9", [
        "A national meeting took place at the April 25 House of Culture on Wednesday to celebrate the 62nd anniversary of the founding of the DPRK.",
        "Present there were Jang Song Thaek, senior officials of the party, the state and the army, officials of ministries and national institutions, and working people in Pyongyang.",
        "The report made at the meeting said that the founding of the DPRK was a historic event which opened up a new era of independence for the Korean people.",
        "The speakers called upon all the service personnel and people to turn out in the general advance for building a great, prosperous and powerful nation.",
    ]),
    ("dprk-100910-kcna02", "Youth Rally Held in Pyongyang", "September 10", [
        "A rally of youth and students took place at Kim Il Sung Square on Friday to mark the anniversary of the founding of the Republic.",
        "Speakers said that the young people of the country would always be shock brigades in the drive for the building of a thriving nation.",
        "They expressed the resolve to perform feats of labour at major construction sites across the country, including power stations and railways, the rally was told by Jang Song Thaek and Ri Yong Ho.",
        "The rally was followed by a mass dance party of youth and students in the square.",
    ]),
    ("dprk-100913-kcna03", "Rodong Sinmun Calls for Increased Production", "September 13", [
        "Rodong Sinmun today carries an article titled \u201cLet Us Increase Production in the Last Quarter\u201d.",
        "The article says that the workers of the metal and coal industries should keep the production lines running at full capacity \u2014 the key to the success of the national economy.",
        "It notes that the managerial staff must go deep among the producers and solve the problems arising in production in time.",
        "The article stresses that the people\u2019s living standard can be raised only when production grows steadily.",
    ]),
    ("dprk-100915-kcna02", "Anniversary of Publication of Classic Work Marked", "September 15", [
        "A seminar took place at the Grand People\u2019s Study House on Wednesday to mark the anniversary of the publication of a classic work of President Kim Il Sung.",
        "Papers read at the seminar said that the work indicated the \u201cway of revolutionary struggle\u201d and is of great significance even today.",
        "The participants said that the ideas set out in the work would shine for ever in the history of the country.",
    ]),
    ("dprk-100916-kcna01", "DPRK Delegation Leaves for Beijing", "September 16", [
        "A delegation of the Ministry of Foreign Trade left Pyongyang on Thursday for Beijing to take part in an international trade fair.",
        "It was seen off at the airport by officials concerned and the Chinese ambassador to the DPRK.",
        "The delegation\u2019s visit is expected to contribute to the development of economic exchanges between the two countries.",
    ]),
    ("dprk-100917-kcna04", "Officials Inspect Hydro-power Station Construction", "September 17", [
        "Senior officials inspected the construction site of the Huichon Power Station on Friday.",
        "They were accompanied by Choe Yong Rim, Jang Song Thaek and other leading officials of the party and the government.",
        "Looking round the dam under construction, they learned in detail about the progress of the work.",
        "The builders pledged to complete the power station ahead of schedule with the spirit of self-reliance.",
    ]),
    ("dprk-100920-kcna01", "Bumper Harvest Expected in Farms", "September 20", [
        "Farms across the country are expecting a bumper harvest this year thanks to the correct guidance of agricultural work.",
        "The farmers of South Hwanghae Province, the country\u2019s granary, are busy with harvesting in autumn.",
        "Officials of the agricultural sector say that the introduction of advanced farming methods made the increase in yield possible.",
    ]),
    ("dprk-100921-kcna02", "KCNA Commentary on U.S. War Exercises", "September 21", [
        "The United States and the south Korean puppet army are staging large-scale joint military exercises near the waters of the West Sea of Korea.",
        "This is an open military provocation against the DPRK and a dangerous act of escalating tension on the Korean peninsula, the commentary says.",
        "It warns that the army and people of the DPRK, rallied behind Kim Jong Il and Jang Song Thaek, will never tolerate any attempt to infringe upon the sovereignty of the country.",
    ]),
    ("dprk-100922-kcna03", "Exhibition of Industrial Art Opens", "September 22", [
        "An exhibition of industrial art opened at the Pyongyang International House of Culture on Wednesday.",
        "On display are hundreds of designs of light industrial goods, machinery and buildings made by designers across the country.",
        "The exhibition will run for a week.",
    ]),
]

# Snapshot 2: the edited article and the new one (FILLER).
GS_EDITED = ("dprk-100917-kcna04", [
    "Senior officials inspected the construction site of the Huichon Power Station on Friday.",
    "They were accompanied by Choe Yong Rim and other leading officials of the party and the government.",
    "Looking round the dam under construction, they learned in detail about the progress of the work.",
    "The builders pledged to complete the power station at an early date with the spirit of self-reliance.",
])
GS_NEW = ("dprk-100923-kcna01", "Korean Film Festival Closes", "September 23", [
    "The 12th Pyongyang International Film Festival closed on Thursday.",
    "Awards were given to the feature and documentary films which won high appreciation of the audience.",
    "The festival contributed to promoting cultural exchanges with other countries, speakers said at the closing ceremony.",
])

# KANCC "With the Century" posts other than the seed: (wr_id, subject, posted, comments, paragraphs).
# FILLER memoir-style sections; the corruption of the site is applied by the builder.
KANCC_POSTS = [
    (503, "[Reminiscences]Chapter 21 5. Small Units in Action", "20-09-17 18:40", 2, [
        "5. Small Units in Action",
        "In the autumn of that year we divided the main force into small units and sent them out to the areas where the enemy was least expecting us. This method of operation allowed us to preserve our strength and at the same time strike the enemy wherever he was weak.",
        "The small units moved by night and rested by day. They carried only what they needed for a few days, and they obtained food from the people in the villages, where our organizations had prepared for their arrival. In order to keep the movements secret, the commanders and the men observed strict discipline.",
        "Many people asked me later how such small units could fight so many battles in such difficult circumstances. My answer was always the same: because the people were with us and because our men believed in victory.",
        "The Japanese imperialists spread the rumour that our army had been annihilated, but the sound of our gunshots in the rear proved the opposite. From then on, they were forced to keep large forces in the areas where our small units were active.",
    ]),
    (502, "[Reminiscences]Chapter 21 4. Comrades on the March", "20-09-16 19:02", 0, [
        "4. Comrades on the March",
        "The march across the mountains in the cold of winter was a test of the will of every man. The snow was deep and the wind was so sharp that it cut the face like a knife.",
        "Each evening we gathered round the campfire and talked about the homeland, about the day of liberation and about the future of the country. These talks gave our men strength to endure the hardships of the next day.",
        "Whereas the enemy moved along the roads in trucks, we moved through the forest on foot, and in the end it was we who had the advantage, because we knew the mountains and the people knew us.",
        "One of the youngest fighters, who had joined us only that summer, asked me where we would be at the end of the march. I told him that we would be wherever the revolution needed us.",
    ]),
    (501, "[Reminiscences]Chapter 21 3. Letters from the Homeland", "20-09-15 17:55", 1, [
        "3. Letters from the Homeland",
        "Letters from the homeland reached us by secret routes. They were carried by liaison men who crossed the border at night, risking their lives at every step.",
        "The letters told of the sufferings of the people under the colonial rule of Japan and of their longing for liberation. They also told of the activities of our underground organizations in the factories and villages.",
        "Reading the letters, our men felt more keenly than ever the responsibility they bore for the destiny of the nation. Some of them read the letters again and again until they knew them by heart.",
        "We organized the reading of the letters in every unit, so that all the men could share the news from the homeland and draw strength from it.",
    ]),
    (500, "[Reminiscences]Chapter 21 2. On the Border", "20-09-14 18:20", 0, [
        "2. On the Border",
        "The border area along the river was the scene of constant clashes between our units and the enemy. The Japanese built guard posts on every hill and patrolled the roads day and night.",
        "Our units crossed the river in small groups, attacked the guard posts and withdrew before the enemy could bring up reinforcements. These raids kept the enemy in a state of constant tension.",
        "The people living in the border villages helped us in every way. They hid our men in their houses, gave them food and clothing, and told them of the movements of the enemy.",
    ]),
    (499, "[Reminiscences]Chapter 21 1. A New Year in the Mountains", "20-09-11 19:10", 0, [
        "1. A New Year in the Mountains",
        "We greeted the new year in a secret camp deep in the mountains. There was no feast and no music, but the men were in high spirits.",
        "That morning I spoke to the men about the tasks for the new year. I said that the year would be a year of harder struggle, but also a year of greater victories.",
        "After the meeting the men held an entertainment of their own. They sang songs and danced round the fire, and for a few hours they forgot the cold and the hunger.",
    ]),
    (498, "[Reminiscences]Chapter 20 7. The Spring Offensive", "20-09-10 18:30", 0, [
        "7. The Spring Offensive",
        "When the snow began to melt, we launched an offensive in several directions at once. The enemy, who had expected us to rest until summer, was taken by surprise.",
        "In order to confuse the enemy, we attacked first in the north and then suddenly appeared in the south. The enemy troops rushed from one place to another and were exhausted before they could fight.",
        "The success of the spring offensive raised the morale of our army and of the people, and it showed once again that a small force can defeat a large one if it is led by correct strategy.",
    ]),
]

# A post in Korean (FILLER), so the pipeline meets lang=ko.
KANCC_KOREAN = (497, "[회고록]제20장 6. 밀영의 밤", "20-09-09 17:45", 0, [
    "6. 밀영의 밤",
    "깊은 산속 밀영에서 맞는 밤은 길고도 추웠다. 대원들은 모닥불가에 둘러앉아 조국에 대한 이야기를 나누었다.",
    "나는 대원들에게 해방된 조국의 모습을 그려보자고 말하였다. 누구나 할것없이 마음속에 그리던 조국의 래일을 이야기하였다.",
    "그날 밤의 이야기는 오래도록 대원들의 가슴속에 남아있었다.",
])

# Snapshot 2: a new post (FILLER).
KANCC_NEW = (505, "[Reminiscences]Chapter 21 7. The Road Ahead", "20-09-21 18:05", 0, [
    "7. The Road Ahead",
    "At the end of that year we looked back on the road we had covered and looked ahead to the road we would take. The struggle had been hard, and it would become harder still.",
    "But our men had been steeled in battle, and the people stood firmly behind us. With such strength there was no difficulty we could not overcome.",
])

# FILLER in the memoir's style, under the subject of a real post (kancc.org heigo wr_id=376), carrying
# the two forms the "\\from" corruption takes on that post: a form feed where "\\f" was ("way\\f rom")
# and the form feed dropped altogether ("wayrom"). Cut off mid-word, as posts on the site are.
KANCC_REAL_376 = (376, "[Reminiscences]Chapter 11 5. Choe Hyon, a Veteran General", "20-07-16 14:04", 0, [
    "5. Choe Hyon, a Veteran General",
    "On the way\from the lowlands to the mountains we stopped at the rear base of one of our divisions, where we planned to discuss with the commanders\\and the political workers how to carry out the decisions of the meeting.",
    "The camp lay deep in a forest,\\where even a man who had been there once\\or twice could lose his way. The valleys\\and ridges looked so alike that strangers to the place found themselves walking in circles.",
    "The men who guided us had come a long wayrom the border, and they told us that a fever had broken out in the valley\\and that many of the men were ill.",
    "They begged us not to go on. But a commander who turns back at the sight of danger cannot lead others through it, and so we went on to the camp and spent the night among the sick, sharing their food\\and their fires. Choe Hyon met us at the edge of the camp\\and led us to a hut where the wounded were ly",
])

# Snapshot 3 (FILLER edits): the name Jang Song Thaek removed from every article still carrying it
# (after the single removal of snapshot 2), sentences otherwise unchanged; stem -> edited paragraphs.
GS_PURGED = {
    "dprk-100909-kcna01": [
        "A national meeting took place at the April 25 House of Culture on Wednesday to celebrate the 62nd anniversary of the founding of the DPRK.",
        "Present there were senior officials of the party, the state and the army, officials of ministries and national institutions, and working people in Pyongyang.",
        "The report made at the meeting said that the founding of the DPRK was a historic event which opened up a new era of independence for the Korean people.",
        "The speakers called upon all the service personnel and people to turn out in the general advance for building a great, prosperous and powerful nation.",
    ],
    "dprk-100910-kcna02": [
        "A rally of youth and students took place at Kim Il Sung Square on Friday to mark the anniversary of the founding of the Republic.",
        "Speakers said that the young people of the country would always be shock brigades in the drive for the building of a thriving nation.",
        "They expressed the resolve to perform feats of labour at major construction sites across the country, including power stations and railways, the rally was told by Ri Yong Ho.",
        "The rally was followed by a mass dance party of youth and students in the square.",
    ],
    "dprk-100921-kcna02": [
        "The United States and the south Korean puppet army are staging large-scale joint military exercises near the waters of the West Sea of Korea.",
        "This is an open military provocation against the DPRK and a dangerous act of escalating tension on the Korean peninsula, the commentary says.",
        "It warns that the army and people of the DPRK, rallied behind Kim Jong Il, will never tolerate any attempt to infringe upon the sovereignty of the country.",
    ],
}
# Snapshot 3: the same page, byte for byte, at a new URL (GlobalSecurity re-filed it); the old URL answers 404.
GS_MOVED = ("dprk-100922-kcna03", "dprk-100922-kcna05")
