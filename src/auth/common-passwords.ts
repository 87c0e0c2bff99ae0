/**
 * Passwords found at the top of public breach corpora (lower case). Most have 8+ characters:
 * shorter ones fail the length rule anyway. Compared case-insensitively by `checkPasswordPolicy`.
 */
export const COMMON_PASSWORDS: ReadonlySet<string> = new Set([
  'password', 'password1', 'password12', 'password123', 'password1234', 'password!', 'passw0rd', 'p@ssw0rd',
  'p@ssword', 'pa55word', '12345678', '123456789', '1234567890', '0123456789', '12341234', '11111111', '00000000',
  '88888888', '87654321', '98765432', '987654321', '9876543210', '11223344', '12121212', '13131313', '123123123',
  '147258369', '159753456', '123qweasd', '1qaz2wsx', '1q2w3e4r', '1q2w3e4r5t', '1q2w3e4r5t6y', 'qwertyui',
  'qwertyuiop', 'qwerty123', 'qwerty12', 'qwerty1234', 'qwertyu1', 'qwer1234', 'asdfghjk', 'asdfghjkl', 'asdf1234',
  'zxcvbnm1', 'zxcvbnm123', 'qazwsxedc', '1qazxsw2', 'zaq12wsx', 'zaq1zaq1', '!qaz2wsx', 'abcd1234', 'abc12345',
  'abcdefgh', 'abcdefg1', 'a1b2c3d4', 'aa123456', 'iloveyou', 'iloveyou1', 'iloveyou2', 'sunshine', 'sunshine1',
  'princess', 'princess1', 'football', 'football1', 'baseball', 'basketball', 'superman', 'batman123', 'starwars',
  'pokemon1', 'michelle', 'jennifer', 'jessica1', 'michael1', 'charlie1', 'jordan23', 'liverpool', 'chelsea1',
  'arsenal1', 'manchester', 'welcome1', 'welcome123', 'letmein1', 'letmein123', 'trustno1', 'whatever', 'computer',
  'internet', 'passport', 'security', 'changeme', 'changeme1', 'default1', 'administrator', 'admin123', 'admin1234',
  'root1234', 'login123', 'master12', 'mastermind', 'dragon12', 'monkey12', 'shadow12', 'freedom1', 'blink182',
  'butterfly', 'chocolate', 'cookie123', 'cheese123', 'elephant', 'midnight', 'mercedes', 'maverick', 'starlight',
  'flower12', 'lovely12', 'loveyou1', 'lovelove', 'baby1234', 'angel123', 'summer12', 'summer2023', 'summer2024',
  'summer2025', 'winter2023', 'winter2024', 'spring2024', 'autumn2024', 'january1', 'december', 'september',
  'hello123', 'hello1234', 'helloworld', 'hellokitty', 'goodluck', 'anything', 'nothing1', 'secret12', 'secret123',
  'mypassword', 'newpassword', 'testtest', 'test1234', 'test12345', 'testing1', 'testing123', 'guest123', 'user1234',
  'access14', 'matrix12', 'jesus123', 'blessed1', '1password', 'q1w2e3r4', 'q1w2e3r4t5', '1a2b3c4d', '123abc123',
  'abc123456', '1234qwer', '12345qwert', 'qwertyqwerty', '123456789a', '12345678a', 'a12345678', 'aaaaaaaa',
  'zzzzzzzz', 'asdasdasd', 'qweqweqwe', '1111111111', '7777777777', '5201314520', '123654789', '741852963',
  '963852741', 'google123', 'facebook1', 'linkedin1', 'instagram', 'twitter1', 'youtube1', 'samsung1', 'iphone123',
  'apple123', 'microsoft', 'windows10', 'minecraft', 'fortnite1', 'naruto12', 'overwatch', 'killer12', 'ginger12',
  'soccer12', 'hockey12', 'hunter12', 'ranger12', 'thunder1', 'phoenix1', 'diamond1', 'rainbow1', 'pepper12',
  'snoopy12', 'tigger12', 'buster12', 'ashley12', 'nicole12', 'daniel12', 'andrew12', 'joshua12', 'thomas12',
  'robert12', 'qwertyuiop123', 'postledger', 'postledger1', 'socialmedia', '123456', '12345', '1234567', 'qwerty',
  'abc123', '111111', 'letmein', 'monkey', 'dragon', 'admin', 'welcome',
]);
