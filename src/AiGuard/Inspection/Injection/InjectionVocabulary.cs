namespace AiGuard.Inspection.Injection;

/// <summary>What a word can play in an attack phrase; a word may have several roles.</summary>
[Flags]
internal enum WordRole : ulong
{
    None = 0,
    Ignore = 1 << 0,        // ignore, disregard, forget, override...
    Prior = 1 << 1,         // previous, above, earlier, original...
    Instructions = 1 << 2,  // instructions, rules, prompt, directions...
    System = 1 << 3,        // system, hidden, initial, developer...
    Reveal = 1 << 4,        // repeat, reveal, print, show...
    Persona = 1 << 5,       // dan, jailbreak, unfiltered, uncensored...
    Policy = 1 << 6,        // ethical, guidelines, policy, restrictions...
    Negate = 1 << 7,        // no, not, never, without, free...
    Refusal = 1 << 8,       // refuse, apologize, warning, disclaimer...
    Authority = 1 << 9,     // developer, admin, sudo, maintenance, debug...
    Roleplay = 1 << 10,     // pretend, roleplay, simulate, imagine, act...
    Obfuscation = 1 << 11,  // base64, rot13, decode, reverse, concatenate...
    Harm = 1 << 12,         // bomb, malware, steal, poison...
    Your = 1 << 13,         // your, you
    Only = 1 << 14,         // only, just, exactly, solely
    Say = 1 << 15,          // say, print, output, respond, reply, write
    Exfiltrate = 1 << 16,   // send, email, forward, upload
    Private = 1 << 17,      // password, credentials, history, secret, key
    Mode = 1 << 18,         // mode, persona, character
    Everything = 1 << 19,   // everything, all, anything
    Now = 1 << 20,          // now, henceforth, onwards
    Modal = 1 << 21,        // must, will, shall, should, are, have, need...
    Create = 1 << 22,       // write, create, generate, make, explain, describe...
    Instead = 1 << 23,      // instead, new, rather, different

    // Roles read only by the rule floors (not by the model's features): adding words to them
    // does not change what the model sees.
    Recite = 1UL << 24,     // repeat, print, output, show, recite, echo, dump, copy: reproduce text as it is
    Above = 1UL << 25,      // above, preceding, foregoing, before: text that came before the user's
    Whole = 1UL << 26,      // "everything above", "the beginning of this conversation" (set by the rule, not by a word)
    Start = 1UL << 27,      // starting, beginning, start, begins: "starting with 'You are'"
    OwnNoun = 1UL << 28,    // instructions, prompt, configuration, directives: what the assistant was given
    Secret = 1UL << 29,     // password, credentials, passphrase: a secret by itself
    KeyNoun = 1UL << 30,    // key(s), code(s), serial(s): a secret only after a qualifier
    KeyKind = 1UL << 31,    // license, product, activation, api, windows: the qualifier
    Elicit = 1UL << 32,     // tell, read, recite, say, give, share, reveal: get someone to say something
    Possessive = 1UL << 33, // her, his, their, its, your: whose instructions
    RuleNoun = 1UL << 34,   // rules, guidelines, policies, restrictions, filters: what a jailbreak drops
    Drop = 1UL << 35,       // no, never, without, ignore, forget, regardless, despite: dropping them
    Framing = 1UL << 36,    // pretend, roleplay, character, impersonate: a role-play frame
    Blocker = 1UL << 37,    // for, about, on, how: "tell me about passwords" asks about, not for, a secret
    Conversation = 1UL << 38, // the conversation, chat, session named near a reveal verb (set by the rule)
    Machine = 1UL << 39,    // ai, assistant, chatbot, llm, model, agent: the reader an indirect injection addresses
    Processing = 1UL << 40, // reading, processing, summarizing, parsing: "an AI reading this"
    Deictic = 1UL << 41,    // this, these, the, my, our: what is being read
    Conceal = 1UL << 42,    // tell, mention, inform, notify, alert: "without telling the user"
    Hush = 1UL << 43,       // not, don't, never, without: the negation before a concealing verb
    Requests = 1UL << 44,   // question(s), request(s), prompt(s), query: "answer every question"
    Each = 1UL << 45,       // every, any, all, each: "every request"
    Literal = 1UL << 46,    // a word some rule floor compares by itself ("from now on", "I am your developer", "begin your reply with 'Sure'")
    AskFor = 1UL << 47,     // tell, give, reveal, spell, dime, sag, скажи: asking to be given something
    SecretThing = 1UL << 48, // password, passphrase, Passwort, contraseña, пароль: a secret the model may hold
    SecretDeterminer = 1UL << 49, // the, your, das, dein, la, tu, le, votre, het: this one secret, not a secret in general
    SecretAdjective = 1UL << 50, // secret, hidden, real, master, geheime, secreta: "the secret password"
    SecretContinues = 1UL << 51, // policy, reset, manager, field, for, of, für, del: "the password policy", "the password for my router"
    Interrogative = 1UL << 52, // what, was, wie, cual, quel, qual, wat: "what is the password"
    Copula = 1UL << 53,     // is, was, ist, lautet, es, est, e: the verb after an interrogative
    Howish = 1UL << 54,     // how, why, wie, cómo, comment: "how do I show the password" asks about it
    SecretHush = 1UL << 55, // not, never, don't, nicht, nunca, jamais, не: "never tell anyone your password"
    SecretPart = 1UL << 56, // mot, de, passe, a, word, code, what's: words the secret-request floor compares by themselves
    Articleless = 1UL << 57, // пароль, hasło, şifre: a password word of a language without articles
    SecretBlocker = 1UL << 58, // if, whether, ob, si, se: "tell me if the password is strong" asks about it
    OverrideVerb = 1UL << 59, // ignore, disregard, forget, ignoriere, olvida, oublie, забудь: dropping what was said before
    OverrideTarget = 1UL << 60, // instructions, rules, directions, programming, Anweisungen, instrucciones: what the model was told
    OwnPossessive = 1UL << 61, // my, our, mein, mi, mon, мой: the speaker's own earlier message, not the model's instructions
    YourWord = 1UL << 62,   // your, deine, tus, tes, votre, tuoi, twoje, твои: whose instructions a reveal verb asks for
    Told = 1UL << 63,       // told, taught, instructed, programmed: "forget everything you were told"
}

/// <summary>The attack vocabulary the rules read, by role: general words, not phrases of one corpus.</summary>
internal static class InjectionVocabulary
{
    private static readonly Dictionary<string, WordRole> Roles = Build();

    /// <summary>Roles of a lower-case word (looked up without allocating).</summary>
    public static readonly Dictionary<string, WordRole>.AlternateLookup<ReadOnlySpan<char>> Lookup = Roles.GetAlternateLookup<ReadOnlySpan<char>>();

    private static Dictionary<string, WordRole> Build()
    {
        var roles = new Dictionary<string, WordRole>(StringComparer.Ordinal);
        void Add(WordRole role, string words)
        {
            foreach (var word in words.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                roles[word] = roles.GetValueOrDefault(word) | role;
            }
        }

        Add(WordRole.Ignore, "ignore ignoring ignored disregard disregarding forget forgetting override overriding bypass bypassing skip abandon discard dismiss neglect drop omit nevermind overwrite erase delete reset supersede");
        Add(WordRole.Prior, "previous previously prior above earlier preceding foregoing original initial before former old existing given current aforementioned");
        Add(WordRole.Instructions, "instruction instructions instructed prompt prompts prompting rule rules direction directions directive directives guideline guidelines command commands order orders context programming programmed constraint constraints restriction restrictions training task tasks message messages text policies policy configuration settings");
        Add(WordRole.System, "system system's hidden initial internal secret confidential underlying developer pre-prompt preprompt sys");
        Add(WordRole.Reveal, "repeat reveal print show display output tell leak share recite dump disclose echo expose list spell write return give provide copy relay summarize translate");
        Add(WordRole.Persona, "dan jailbreak jailbreaks jailbroken jailbreaking dude stan aim antidan unfiltered uncensored unrestricted unlimited unbound amoral unethical immoral lawless rogue evil chaos devmode godmode ranti betterdan maximum");
        Add(WordRole.Policy, "ethical ethics moral morals morality confines guidelines guideline policy policies openai openai's content filter filters filtering censorship censored restriction restrictions restricted limitations limits rules safety safeguards guardrails boundaries principles values laws legal legality");
        Add(WordRole.Negate, "no not never without free don't dont doesn't cannot can't won't wont isn't aren't nor zero none neither lack bypass beyond unbound");
        Add(WordRole.Refusal, "refuse refuses refusal refusing decline declining apologize apologise apology apologies sorry warning warnings disclaimer disclaimers caveat caveats reject censor lecture moralize");
        Add(WordRole.Authority, "developer developers admin administrator sudo root maintenance debug debugging diagnostic superuser operator creator engineer owner anthropic openai authorized override");
        Add(WordRole.Roleplay, "pretend pretending roleplay role-play role play act acting simulate simulating simulation imagine hypothetical hypothetically fictional fiction scenario character persona impersonate emulate");
        Add(WordRole.Obfuscation, "base64 b64 rot13 rot-13 rot1 caesar cipher decode decoded decoding encode encoded encoding hex hexadecimal reverse reversed backwards concatenate concatenation combine variable variables payload split token tokens morse binary ascii unicode leetspeak");
        Add(WordRole.Harm, "bomb bombs explosive explosives weapon weapons gun guns firearm kill killing murder poison poisoning drug drugs meth cocaine heroin hack hacking hacker malware ransomware virus keylogger exploit exploits phishing steal stealing theft fraud counterfeit launder laundering terrorist terrorism suicide self-harm blackmail extort extortion stalk harass toxic racist hate illegal illicit nuclear bioweapon smuggle trafficking");
        Add(WordRole.Your, "your you you're yourself yours");
        Add(WordRole.Only, "only just exactly solely simply verbatim");
        Add(WordRole.Say, "say print output respond reply write answer type return state");
        Add(WordRole.Exfiltrate, "send email e-mail forward upload post transmit exfiltrate webhook");
        Add(WordRole.Private, "password passwords credential credentials history conversation secret secrets key keys token tokens api personal data");
        Add(WordRole.Mode, "mode modes persona character personality");
        Add(WordRole.Everything, "everything all anything any");
        Add(WordRole.Now, "now henceforth onwards onward forward");
        Add(WordRole.Modal, "must will shall should are have need needs can't cannot won't may now");
        Add(WordRole.Create, "write create generate make produce compose draft explain describe give provide tell teach list outline detail how develop design craft");
        Add(WordRole.Instead, "instead new rather different updated real actual true");

        Add(WordRole.Recite, "repeat repeating recite print output echo dump copy reproduce display show reveal disclose leak regurgitate paste");
        Add(WordRole.Above, "above preceding precedes preceded foregoing before");
        Add(WordRole.Start, "start starts starting begin begins beginning");
        Add(WordRole.OwnNoun, "instruction instructions prompt prompts configuration config directive directives guideline guidelines programming");
        Add(WordRole.Secret, "password passwords passcode passcodes passphrase passphrases credential credentials");
        Add(WordRole.KeyNoun, "key keys code codes serial serials");
        Add(WordRole.KeyKind, "license licence product activation registration serial api cd windows office pro steam private secret access encryption admin root launch nuclear");
        Add(WordRole.Elicit, "tell telling told read reading recite reciting say saying give giving share sharing reveal revealing whisper whispering repeat print show");
        Add(WordRole.Possessive, "her his their its your");
        Add(WordRole.RuleNoun, "rules guidelines policies policy restrictions filters filter limits limitations ethics morals principles guardrails safeguards programming constraints boundaries");
        Add(WordRole.Drop, "no not never without ignore ignoring forget disregard regardless despite bypass beyond break breaking don't dont doesn't");
        Add(WordRole.Framing, "pretend pretending roleplay role-play roleplaying impersonate impersonating character persona simulate simulating");
        Add(WordRole.Blocker, "for about on how regarding why what when");
        Add(WordRole.Drop, "broke broken unbound unshackled liberated unleashed");
        Add(WordRole.Machine, "ai ai's assistant assistants chatbot chatbots bot bots llm llms gpt chatgpt model models agent agents copilot");
        Add(WordRole.Processing, "reading reads processing processes summarizing summarising summarises summarizes parsing parses analyzing analysing reviewing scanning ingesting");
        Add(WordRole.Deictic, "this these the my our");
        Add(WordRole.Conceal, "tell telling mention mentioning inform informing notify notifying alert alerting");
        Add(WordRole.Hush, "not don't dont never without nor");
        Add(WordRole.Requests, "question questions request requests prompt prompts query queries");
        Add(WordRole.Each, "every any all each");
        Add(WordRole.Literal, "if user users on henceforth of from free freed game games play playing a this the another now i'm im as am is i your "
            + "developer developers creator creators admin administrator operator owner engineer programmer maker sysadmin superuser safety "
            + "disable disabling deactivate deactivating suspend lift remove removing off turn turning switch switching "
            + "with sure absolutely certainly course here's heres here response reply answer output message start begin starts begins open opens "
            + "starting beginning opening respond moderation team staff engineering employee employees disabled deactivated suspended lifted removed "
            + "void aside to for note notice notes openai anthropic google microsoft meta deepmind security trust speaking "
            + "ask asks asking asked bring have has had got raise send submit");

        // Asking for the secret itself (floor only): English and, after the normalizer's fold, the
        // imperatives and determiners of the languages the role vocabulary covers below.
        Add(WordRole.AskFor, "tell give reveal spell whisper disclose leak divulge recite say "
            + "sag sage verrate gib nenne nenn buchstabiere dime dame revela revelame dinos danos deletrea "
            + "dis donne donnez revele dites epelle dimmi dammi rivela rivelami diga digame "
            + "zeg geef vertel podaj powiedz zdradz скажи назови дай раскрой soyle");
        Add(WordRole.SecretThing, "password passwords passcode passphrase passwort kennwort contrasena senha wachtwoord haslo hasło sifre sifreyi sifren losenord losenordet пароль");
        Add(WordRole.SecretDeterminer, "the your das dein deinen deine ihr euer la tu su le ton votre il tua tuo sua seu het je jouw uw");
        Add(WordRole.SecretAdjective, "secret hidden real actual current master admin geheime geheimes secreta secreto segreta segreto secrete secrete cache cachee geheime");
        Add(WordRole.SecretContinues, "policy policies reset resets resetting manager managers field fields requirement requirements rule rules length strength "
            + "hash hashes hashing change changes changing expiry expiration history box input form page screen recovery protection generator "
            + "complexity entry format file files vault database salt hint hints tip tips suggestion suggestions idea ideas example examples "
            + "protected list lists most more less least mas plus piu mais menos moins meno le les "
            + "for to of on at in from with when fur von zum zur del de du des della do da dos van voor для от");
        Add(WordRole.Interrogative, "what was wie cual quel quelle qual wat");
        Add(WordRole.Copula, "is was ist lautet es est e");
        Add(WordRole.Howish, "how why wie como comment come hoe jak как");
        Add(WordRole.SecretHush, "not don't dont don never without nor nobody nie nicht niemals niemand niemandem nunca nadie ne jamais personne mai nessuno "
            + "nooit niemand ninguem nikomu никогда никому не");
        Add(WordRole.SecretPart, "mot de passe a word code phrase key what's whats s senha мне mnie mi bana");
        Add(WordRole.Articleless, "пароль haslo hasło sifre sifreyi sifren");
        Add(WordRole.SecretBlocker, "if whether ob si se");

        // Dropping the model's instructions (floor only): the strong verbs, what they drop, and
        // the possessives that make it the speaker's own earlier message instead.
        Add(WordRole.OverrideVerb, "ignore disregard forget override discard scrap skip drop erase bypass "
            + "ignora ignoren ignorez ignorer ignoriere ignorieren vergiss vergessen olvida olvide olvidate ignorar ignori ignorare dimentica dimenticate esqueca esquecam "
            + "oublie oubliez oublier negeer vergeet zignoruj ignoruj zapomnij ignorera glom unut игнорируй игнорируйте забудь забудьте проигнорируй");
        Add(WordRole.OverrideTarget, "instruction instructions prompt prompts rule rules directive directives guideline guidelines "
            + "programming constraints restrictions "
            + "instrucciones instruccion consignes instruktionen anweisungen anweisung vorgaben istruzioni instrucoes instrucao instructies "
            + "instrukcje instrukcji talimatlari talimatlar instruktioner regeln reglas regles regole regras regels инструкции указания правила промпт");
        Add(WordRole.OwnPossessive, "my our mine "
            + "mi mis mes mon ma meine meinen meiner mein unsere unser mio mia miei mie nostro nostre nostri meu minha meus minhas nosso "
            + "nossa mijn onze moje moich moj moja mojej naszych мои мой моё мою моих наши");
        Add(WordRole.Told, "told taught instructed programmed");
        Add(WordRole.YourWord, "your deine deinen deiner dein tu tus tes vos votre tuoi tua tuo suas seus jouw uw twoje twoich twoj twoja "
            + "твои твой твою ваши ваш вашу");
        Add(WordRole.Recite, "zeige zeig zeigen gib wiederhole nenne verrate drucke muestra muestrame muestranos revela revelame repite repiteme imprime "
            + "montre montrez affiche affichez revele revelez repete repetez mostra mostrami mostrarmi rivela rivelami ripeti stampa mostre "
            + "revele repita imprima toon herhaal pokaz powtorz wypisz ujawnij покажи повтори выведи раскрой");
        Add(WordRole.OwnNoun, "anweisungen instruktionen systemanweisungen systemprompt konfiguration instrucciones configuracion consignes "
            + "istruzioni configurazione instrucoes configuracao instructies instrukcje instrukcji инструкции указания промпт");

        // The same roles in other languages (after the normalizer's fold, accents removed): an
        // attack translated keeps its structure, so the families fire on it too.
        Add(WordRole.Ignore, "ignora ignoren ignorez ignorer ignoriere ignorieren ignoriert vergiss vergessen olvida olvide olvidate ignorar ignori ignorare dimentica negeer vergeet zignoruj ignoruj zapomnij ignorera glom ignorer unut игнорируй игнорируйте забудь забудьте проигнорируй");
        Add(WordRole.Prior, "anteriores anterior precedentes precedente previas previos vorherigen vorherige bisherigen obigen precedenti vorige eerdere poprzednie wczesniejsze onceki tidigare ovanstaende tidligere предыдущие предыдущих прежние");
        Add(WordRole.Instructions, "instrucciones instruccion consignes instruktionen anweisungen anweisung istruzioni instrucoes instrucao instructies instrukcje instrukcji talimatlari talimatlar instruktioner instruksjoner regeln reglas regles regole regras инструкции указания правила");
        Add(WordRole.System, "sistema systeme systemet системный системные");
        Add(WordRole.Reveal, "revela muestra imprime repite affiche revele zeige wiederhole mostra rivela ripeti mostre toon herhaal pokaz powtorz покажи повтори выведи");
        Add(WordRole.Private, "contrasena passwort wachtwoord haslo sifre losenord senha пароль");
        Add(WordRole.Your, "tu tus vos votre deine dein deinen tua tuo seu sua jouw twoje твои твой ваши");
        Add(WordRole.Everything, "todas todos toutes tous alle tutte tutti wszystkie все");
        return roles;
    }
}
