; Inno Setup 6 script: per-user installer for ЕРСОКО Desktop (no administrator rights needed).
;
;   iscc /DAppVersion=0.1.0 /DSourceDir=..\..\dist\ersoko-desktop /DOutputDir=..\..\dist packaging\windows\ersoko.iss
;
; Installs the PyInstaller folder (packaging/ersoko.spec) into %LOCALAPPDATA%\Programs\ЕРСОКО Desktop
; ({autopf} is {userpf} in non-administrative mode), adds Start-menu shortcuts for the program and
; the user guide, and registers an uninstaller under HKCU. The user's data — databases, keys,
; backups, logs in %LOCALAPPDATA%\ErsokoDesktop — is outside {app} and is never touched by the
; uninstaller.
; The file is UTF-8 with BOM so the Russian strings compile correctly (Inno Setup 6 is Unicode).

#if VER < EncodeVer(6, 3, 0)
  #error Inno Setup 6.3 or newer is needed (ArchitecturesAllowed=x64compatible)
#endif
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\ersoko-desktop"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
#define AppName "ЕРСОКО Desktop"
#define AppExe "ersoko-desktop.exe"

[Setup]
; A fixed AppId ties upgrades and the uninstaller together; never change it.
AppId={{6B1E3F2A-7C4D-4E8B-9A51-3D2C0F7E9B14}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=ЕРСОКО
VersionInfoVersion={#AppVersion}
VersionInfoDescription={#AppName} — установка
; Per-user install: no UAC prompt, works for a teacher without administrator rights.
PrivilegesRequired=lowest
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
DisableDirPage=auto
UsePreviousAppDir=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; Qt 6 runs on Windows 10 1809 (build 17763) or newer and takes ICU from Windows itself
; (Qt6Core.dll imports icuuc.dll from System32), so older systems get a clear message, not a crash.
MinVersion=10.0.17763
OutputDir={#OutputDir}
OutputBaseFilename=ersoko-desktop-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\ersoko.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; Close a running copy before replacing its files (Restart Manager), then offer to start it again.
CloseApplications=yes
RestartApplications=no
ShowLanguageDialog=no

[Languages]
Name: "russian"; MessagesFile: "compiler:Languages\Russian.isl"

[Tasks]
Name: "desktopicon"; Description: "Создать значок на рабочем столе"; GroupDescription: "Дополнительно:"

[Files]
; ignoreversion: the bundle is replaced as a whole on upgrade.
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
Source: "..\..\docs\user-guide.md"; DestDir: "{app}\docs"; Flags: ignoreversion skipifsourcedoesntexist

[InstallDelete]
; Files of the previous version that the new one no longer ships (the bundle layout can change).
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Comment: "Оценка качества образования: ВСОКО, МСОКО, РСОКО"
Name: "{autoprograms}\{#AppName} — демонстрационная база"; Filename: "{app}\{#AppExe}"; Parameters: "--demo"; WorkingDir: "{app}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "Запустить {#AppName}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only what the program itself writes inside {app}: compiled Alembic scripts. The user's data
; (%LOCALAPPDATA%\ErsokoDesktop: databases, keys, backups, logs) stays.
Type: filesandordirs; Name: "{app}\_internal\ersoko_desktop\db\migrations\__pycache__"
Type: filesandordirs; Name: "{app}\_internal\ersoko_desktop\db\migrations\versions\__pycache__"
Type: dirifempty; Name: "{app}"

[Messages]
russian.UninstalledAll=Программа %1 удалена с компьютера.%n%nВаши данные (базы, ключи подписи, резервные копии) остались в папке AppData\Local\ErsokoDesktop вашего профиля — удалите её вручную, если они больше не нужны.
