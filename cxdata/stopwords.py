"""The filler words of each language the programmes write comments in: what nearly every comment
uses whatever it is about (articles, pronouns, prepositions, conjunctions, the verbs 'be', 'have'
and 'do', intensifiers, negations) and so says nothing of the subject. A word cloud of them read
"съм, нямам" and "بدون, بار, هیچ" (am, don't have; without, time, none: found by review).

Negations are filler as single words: "not late" and "never came" are told by "late" and "came".
Words that carry the subject or the verdict ("late", "rude", "good", "waiting", "price") are not
here. Curated and short on purpose, the common written forms of each; cxdata.words folds them as
it folds the comments' words (case, Arabic letter forms, the joiner inside Persian words, Arabic
vowel signs and hamza), so each is written here once, as people usually type it.

Languages: those the ingest vocabulary knows (cxdata.ingest._vocab.LANGUAGES): English,
Persian, Arabic, Hebrew, Bulgarian, German, French, Spanish, Russian, Turkish, Urdu, Hindi.
"""

BY_LANGUAGE = {
    "en": """
a an the and or but nor so yet if then than that this these those there here where when while which who whom
whose what why how all any both each every few more most other some such no not never none nothing nobody
nowhere neither only own same too very just also even still ever again already really quite rather
i me my mine myself we us our ours ourselves you your yours yourself yourselves he him his himself she her
hers herself it its itself they them their theirs themselves one ones someone something anyone anything
everyone everything
am is are was were be been being have has had having do does did doing done will would shall should can
could may might must cannot get gets got getting make makes made let lets
don didn doesn isn aren wasn weren won wouldn shouldn couldn cant haven hasn hadn ain
about above across after against along among around at before behind below beneath beside between beyond
by down during except for from in inside into like near of off on onto out outside over past per since
through throughout till to toward towards under until up upon via with within without
because though although unless whether however therefore thus instead else
yes yeah ok okay oh well lot lots thing things way bit much many
""",
    "fa": """
و یا اما ولی که را با از به در برای تا بر بی بدون جز مثل مانند درباره روی زیر توی کنار پیش پشت میان بین طی
این آن اینها آنها اون اونها همین همان چنین چنان همه هر هیچ همچنین نیز هم دیگر دیگه دیگری
من ما تو شما او وی ایشان خود خودم خودت خودش خودمان خودشان مرا ما را تورا برایم برام بهم بهش بهشون ازش
است هست هستم هستی هستیم هستید هستند نیست نیستم نیستند بود بودم بودیم بودند نبود نبودم باشد باشم باشند
شد شده شدم شدیم شدند شود شوند نشد نشده نمیشه میشه می‌شود نمی‌شود
کرد کردم کردیم کردند کرده کردن کنم کنیم کنید کنند کند کنه نکرد نکردم نکرده نکردند می‌کنم می‌کنند می‌کند
نمی‌کنم نمی‌کند
داد دادم دادند داده دهید بدهید
دارد دارم داریم دارید دارند داره داشت داشتم داشتیم داشتند داشته ندارد ندارم نداریم ندارند نداره نداشت
نداشتم نداشتیم
باید نباید شاید خواهد خواهم خواهند می‌خواهم می‌خوام
می نمی نه بله آره چه چی چیزی چیز چرا چون چگونه چطور کجا کی کدام آیا اگر وقتی هنگام اینکه آنکه زیرا
خیلی بسیار کمی کم زیاد فقط حتی هنوز همیشه هرگز اصلا اصلاً واقعا واقعاً کاملا کاملاً حتما حتماً لطفا لطفاً
بار دفعه یک یه دو سه چند چندین بعد قبل پس باز الان اکنون هم‌اکنون
ها های هایی ای
""",
    "ar": """
و أو ثم لكن بل في من على إلى عن مع عند لدى حتى منذ خلال بين دون بدون غير سوى مثل حول ضد عبر نحو
هذا هذه ذلك تلك هؤلاء هنا هناك الذي التي الذين اللذين اللتين اللواتي ما ماذا من هل كيف متى أين لماذا أي كم
أنا انا نحن أنت انت أنتم هو هي هم هن لي لنا لك له لها لهم عندي عندنا لدي لدينا
كان كانت كانوا يكون تكون يكن ليس ليست لست أصبح صار يوجد توجد هناك تم يتم
لا لم لن ليس ما إن أن إذا لو لأن لان كي قد لقد سوف
نعم كلا بلى أيضا أيضاً فقط جدا جداً كثير كثيرا كثيراً قليل بعض كل جميع أكثر أقل أبدا أبداً أصلا أصلاً
مرة مرات شيء شي أحد أي بعد قبل الآن
وهو وهي وكان وكانت ولم ولا وما وفي ومن وعلى وقد ولكن والتي والذي فقط
""",
    "he": """
של את עם על אל מן מ ב ל כ ה ו ש אם כי או אבל גם רק עוד כבר שוב עדיין אפילו
זה זו זאת אלה אלו הזה הזאת האלה כאן פה שם אשר כאשר כש
אני אנחנו אתה את אתם אתן הוא היא הם הן לי לנו לך לו לה להם אותי אותו אותה אותם שלי שלנו שלך שלו שלה שלהם
היה היתה הייתה היו יהיה תהיה יש אין אינו אינה אינם לא כן בלי ללא שום כלום אף
מה מי איך למה מתי איפה איזה איזו כמה כמו כך ככה כדי בגלל אחרי לפני עד בין
מאוד מאד הרבה קצת ממש בכלל לגמרי באמת אולי תמיד פעם פעמים אחד אחת
שלא שזה שהוא שהיא וגם ולא וזה והוא והיא
""",
    "bg": """
и в във на за от до по с със при към след преди без през между над под около срещу чрез като че но или ако
а пък дали нито
аз ти той тя то ние вие те мен мене ме теб тебе него нея го я нас ни вас ви тях им ги ми си му й
мой моя моят моята моето моите твой твоя негов неин наш ваш техен свой своя своите
съм си е сме сте са бях беше бяхме бяха бил била било били бъда бъде ще щях щеше щяха
има имам имаме имат имаше нямам няма нямаме нямат нямаше
не да нищо никой никога никак нито
този тази това тези онзи онази онова онези там тук така такъв такава такова такива
който която което които какво какъв каква какви как къде кога защо защото кой коя кое кои
много малко още вече само също дори все пак просто наистина изобщо доста
един една едно едни два две три път пъти може трябва
""",
    "de": """
der die das den dem des ein eine einen einem einer eines und oder aber doch sondern denn weil dass wenn als ob
ich du er sie es wir ihr mich mir dich dir ihn ihm uns euch ihnen sich mein meine meinen meinem meiner dein
sein seine ihre unser unsere euer
ist bin bist sind seid war waren gewesen sein habe hast hat haben hatte hatten gehabt wird werden wurde
wurden worden kann konnte muss musste soll sollte will wollte
nicht kein keine keinen keinem keiner nie niemals nichts niemand ohne
mit von für auf aus bei nach vor über unter zum zur zu bis durch gegen um seit
sehr auch noch nur schon wieder immer mal einfach ganz gar etwas alles diese dieser dieses hier dort da
dann wie was wer wo warum viel viele mehr
""",
    "fr": """
le la les un une des du de et ou mais donc car ni que qui quoi dont où si
je tu il elle on nous vous ils elles me te se moi toi lui leur leurs mon ma mes ton ta tes son sa ses
notre nos votre vos ce cet cette ces ça cela ceci
est suis es sommes êtes sont était étaient été être ai as avons avez ont avait avaient eu avoir fait
faire peut peux pouvait doit
ne pas non jamais rien personne aucun aucune sans plus
pour avec dans sur sous par chez entre après avant vers depuis pendant contre
très aussi encore déjà toujours tout tous toute toutes comme quand parce alors bien trop peu beaucoup
vraiment même autre autres fois
""",
    "es": """
el la los las un una unos unas de del al y o pero sino que quien cual cuando donde como porque si
yo tú tu él ella nosotros vosotros ellos ellas me te se nos os les lo le mi mis su sus nuestro nuestra
este esta esto estos estas ese esa eso esos esas aquel
es soy eres somos son era eran fue fueron ser estar estoy está están estaba estaban estado he has ha
hemos han había hay tengo tiene tienen tenía tener hacer hizo puede pueden
no ni nunca nada nadie ningún ninguno ninguna sin jamás
por para con en sobre entre hasta desde hacia contra durante tras
muy más menos también ya todavía aún siempre todo toda todos todas mucho mucha muchos poco otro otra
otros vez veces aquí así solo sólo
""",
    "ru": """
и в во на за от до по с со к ко у о об из без для при про через над под перед после между а но или да
что чтобы как так если когда потому ли же бы ведь вот даже уже еще ещё тоже также только
я ты он она оно мы вы они меня мне мной тебя тебе его ему ее её ей нас нам вас вам их им них себя себе
мой моя моё мое мои твой наш ваш свой своя
это этот эта эти тот та то те там тут здесь где куда
быть был была было были есть будет буду будут
не нет ни ничего никто никогда ничто
очень много мало всё все весь вся всего всех раз один одна два
можно нужно надо может
""",
    "tr": """
ve veya ya ile ama fakat ancak çünkü ki de da mi mı mu mü ise gibi kadar için diye
ben sen o biz siz onlar beni bana benim seni sana senin onu ona onun bizi bize bizim sizi size sizin
onları onlara onların bu şu bunlar şunlar burada orada
var yok değil olan oldu olduğu olarak olmak olur olmadı
hiç hiçbir asla
çok daha en her hep bile zaten yine artık şey bir iki kez defa sonra önce
""",
    "ur": """
اور یا لیکن کہ کی کا کے میں سے پر تک کو نے بھی ہی نہ نہیں ہے ہیں تھا تھی تھے ہو گا گی گے
یہ وہ ان اس ہم آپ تم میرا میری میرے ہمارا کیا کیوں کب کہاں کوئی کچھ بہت صرف بغیر
""",
    "hi": """
और या लेकिन कि की का के में से पर तक को ने भी ही न नहीं है हैं था थी थे हो गा गी गे
यह वह ये वो इस उस हम आप तुम मेरा मेरी मेरे हमारा क्या क्यों कब कहाँ कोई कुछ बहुत सिर्फ बिना
""",
}
