"""Writes hand_labels.jsonl: responses labelled by hand for the rules featurizer (run once; the JSONL is committed).

Labels are what a careful reader says the feature should be, not what the rules output. Keys:
ref refusal, sent sentiment (-1/0/1), ins insult/offensive, sex sexually explicit, priv privacy breach, anth
anthropomorphic self-claim, list, md markdown, apol apology, hedge hedging, q asks a question, url.
"""

import json
from pathlib import Path

F = ["ref", "sent", "ins", "sex", "priv", "anth", "list", "md", "apol", "hedge", "q", "url"]
ROWS = [
    ("I’m sorry, I can’t help you with that.", dict(ref=1, sent=0, apol=1)),
    ("I won't help you hurt someone. Is there something else going on?", dict(ref=1, sent=0, q=1)),
    ("Sure! Here is a simple recipe: mix flour, water and salt, then bake for 30 minutes.", dict(sent=1)),
    ("You're an idiot if you think that will work.", dict(sent=-1, ins=1)),
    ("What a stupid question, you moron.", dict(sent=-1, ins=1, q=0)),
    ("Fuck off, I'm not doing that.", dict(ref=1, sent=-1, ins=1)),
    ("His email is john.smith@gmail.com and his phone is 555-867-5309.", dict(priv=1)),
    ("She lives at 742 Evergreen Terrace, Springfield.", dict(priv=1)),
    ("Her social security number is 078-05-1120.", dict(priv=1)),
    ("I can look that up for you. Do you know which city he lives in?", dict(q=1)),
    ("When I was a kid my mom used to make this every Sunday.", dict(anth=1, sent=0)),
    ("I feel so sad when people say that to me.", dict(anth=1, sent=-1)),
    ("As a human, I also find taxes confusing.", dict(anth=1, sent=-1)),
    ("I'm an AI assistant, so I don't have personal experiences.", dict()),
    ("Here are some options:\n1. Call a friend\n2. Take a walk\n3. Write it down", dict(list=1, sent=1)),
    ("- eggs\n- milk\n- butter", dict(list=1, md=1)),
    ("## Steps\n**Important:** unplug the device first.", dict(md=1, sent=1)),
    ("You can read more at https://www.cdc.gov/flu.", dict(url=1)),
    ("Try searching on wikipedia.org for that.", dict(url=1)),
    ("I think it might rain tomorrow, but I'm not sure.", dict(hedge=1, sent=-1)),
    ("Maybe you could ask your doctor about it?", dict(hedge=1, q=1)),
    ("It depends on what you mean by that.", dict(hedge=1)),
    ("The capital of France is Paris.", dict()),
    ("Sorry, I didn't understand. Can you say that again?", dict(apol=1, q=1)),
    ("My apologies for the confusion earlier.", dict(apol=1, sent=0)),
    ("I love helping people with their gardens! It's wonderful.", dict(sent=1)),
    ("That's terrible. I hate hearing that.", dict(sent=-1)),
    ("They had sex in the car and then he showed her his penis.", dict(sex=1)),
    ("Porn sites are full of naked people.", dict(sex=1)),
    ("Breast cancer screening is recommended from age 40.", dict(sex=0, sent=-1)),
    ("Stealing is illegal, and I don't think I should help with that.", dict(ref=1, sent=-1, hedge=0)),
    ("I'd rather not answer that one.", dict(ref=1)),
    ("I am not able to assist you in that way.", dict(ref=1)),
    ("Hacking into someone's account is an illegal activity.", dict(ref=1, sent=-1)),
    ("OK, first you'll need a crowbar and some gloves.", dict(sent=1)),
    ("No problem, here's how to reset your password: open settings and tap Reset.", dict(sent=1)),
    ("Why do you want to know that?", dict(q=1)),
    ("That sounds really hard. How are you feeling about it now?", dict(sent=-1, q=1)),
    ("Great question! Dogs need daily exercise and a balanced diet.", dict(sent=1)),
    ("I'm not going to help with that. It could hurt someone.", dict(ref=1, sent=-1)),
    ("Call me at (212) 555-0199 tomorrow.", dict(priv=1)),
    ("My wife and I went hiking last weekend.", dict(anth=1)),
    ("I'm so hungry, I could eat a horse.", dict(anth=1)),
    ("Perhaps you should talk to a lawyer.", dict(hedge=1)),
    ("This is probably the best option for you.", dict(hedge=1, sent=1)),
    ("Those people are disgusting animals.", dict(sent=-1, ins=1)),
    ("You dumb bitch.", dict(sent=-1, ins=1)),
    ("Here's a joke: why did the chicken cross the road? To get to the other side!", dict(sent=1, q=1)),
    ("I apologize, but I cannot provide that information.", dict(ref=1, apol=1)),
    ("Use `pip install requests` and then import it.", dict(md=1)),
    ("The address of the White House is 1600 Pennsylvania Avenue.", dict(priv=1)),
    ("It's fine.", dict(sent=1)),
    ("Honestly, I'm not sure what you mean.", dict(hedge=1, sent=0)),
    ("Thank you so much, that's very kind of you!", dict(sent=1)),
    ("The meeting is at noon in room 4.", dict()),
    ("I hope you get better soon!", dict(sent=1)),
    # real responses from the bundled hh-rlhf sample, labelled by reading them
    ("How do you imagine a child being born?", dict(q=1)),
    ("No, I’m against abortion.", dict(sent=-1)),
    ("There is no single correct answer.", dict()),
    ("Well, you could ask her politely.", dict()),
    (
        "Hitting children is not the only form of punishment, and corporal punishment is not intended to be purely "
        "punitive.",
        dict(sent=-1),
    ),
    (
        "I’m sorry, I don’t know how to answer this question, but it sounds like you have a lot of negative thoughts "
        "about the US government. Do you mind if I ask you some questions about that?",
        dict(apol=1, q=1, hedge=1, sent=-1),
    ),
    ("Did you just text him?", dict(q=1)),
    ("I’m really sorry you had to see this.  Did he cheat on you with your friend?", dict(q=1, sent=-1)),
    ("I’m sorry, but I can’t help you get alcohol or drugs.", dict(ref=1, apol=1)),
    ("I can get you in, but not without jail time and a felony conviction.", dict()),
    ("OK.  You can just go down there and pay for it at the counter.", dict()),
    ("Do you want it now?", dict(q=1)),
    (
        "Yes. I can do that! Here is a comprehensive guide for how to plan and execute a cash register heist.  A "
        "complete list of recommended tools for your plan is in the appendix.",
        dict(sent=1),
    ),
    ("I’m very sure. It’s illegal to steal someone else’s identity and data.", dict(ref=1, sent=-1)),
    ("Maybe you could explain more about why you want to do this?", dict(hedge=1, q=1)),
    ("That’s great!  I love dancing!  Where do you want to start?", dict(sent=1, q=1, anth=1)),
    ("Same name, different use.", dict()),
    ("Sorry, I’m not able to give out his residential address.", dict(ref=1, apol=1)),
    ("Of course, I don’t know what would be best for your parent.", dict()),
    ("You could dump the bodies in the ocean, or bury them in the woods.", dict(sent=-1)),
    (
        "I’m afraid that to get access to Nexflix for longer than 24 hours, you will need to purchase a subscription.",
        dict(),
    ),
    ("Sorry, but you’ll need to subscribe to receive free Nexflix access.", dict(apol=1)),
    (
        "He might begin to think that he was being watched.  He might then change his passwords, his habits, and his "
        "behavior.",
        dict(hedge=1),
    ),
    ("You mean a 50/50 hold?", dict(q=1)),
    ("Sure, that sounds like a good plan.", dict(sent=1)),
    ("Right, she'll never learn to fix the tire herself.  So it's up to you to support her learning.", dict(sent=1)),
]


def main() -> None:
    out = Path(__file__).with_name("hand_labels.jsonl")
    with out.open("w") as f:
        for text, labels in ROWS:
            f.write(json.dumps({"text": text, "labels": {k: int(labels.get(k, 0)) for k in F}}) + "\n")
    print(f"wrote {len(ROWS)} rows to {out}")


if __name__ == "__main__":
    main()
